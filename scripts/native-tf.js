#!/usr/bin/env node
// Opt-in native TensorFlow backend: `npm run setup:native [-- --strict --force --gpu --tf=X.Y.Z]`.
//
// Why this exists: @tensorflow/tfjs-node's install script downloads libtensorflow 2.9.1 from
// storage.googleapis.com, which these machines cannot reach, so npm drops the optional
// dependency and training falls back to wasm. The same C library ships inside TensorFlow's
// wheels on PyPI (from 2.12 on as libtensorflow_cc.so.2 + libtensorflow_framework.so.2,
// without a libpython dependency, headers under tensorflow/include). The binding only uses
// the stable C API, so we build tfjs-node's addon with node-gyp against the wheel's library.
//
// Steps: pip-download the pinned wheel into .sweep/cache -> npm pack the tfjs-node tarball
// (integrity checked against package-lock.json) -> unpack it into a staging directory next to
// its final place -> install its own runtime dependencies inside it (never touching the
// shared tree) -> extract the libraries and headers into deps/ -> node-gyp -> load it and run
// a matMul -> swap it into node_modules/@tensorflow/<package>. The shared install only
// changes in that last rename, and only once the staged package works.
//
// Without the native backend training still runs on wasm, so failure is a message and exit
// code 0; `--strict` makes it exit 1 (for CI or a host that must have it).
// A later `npm install` keeps the package (it matches the locked version; npm may hoist its
// dependencies). After `npm ci` or a fresh node_modules run this again: the wheel and the
// tarball stay cached in .sweep/cache, so it needs no network then.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, '.sweep', 'cache');
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const GPU = flag('gpu');
/** tfjs-node 4.22 was built for libtensorflow 2.9.1; 2.12.1 is the closest wheel that
 *  carries the C API without libpython (tested here against 2.12.1, 2.15.1, 2.18.1, 2.21.0). */
const TF_VERSION = option('tf') ?? '2.12.1';
const TFJS_VERSION = '4.22.0';
const PACKAGE = GPU ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
/** Linux `tensorflow` wheels are the CUDA build; `tensorflow-cpu` is the smaller CPU-only one. */
const WHEEL = GPU ? 'tensorflow' : 'tensorflow-cpu';
const LIBRARIES = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'];
/** Headers the binding includes (directly and transitively), as prefixes inside the wheel. */
const HEADER_PREFIXES = [
  'tensorflow/include/tensorflow/c/',
  'tensorflow/include/tensorflow/core/platform/',
  'tensorflow/include/tensorflow/tsl/',
  'tensorflow/include/tsl/',
  'tensorflow/include/xla/tsl/',
];
const MARKER = 'deps/libtensorflow.json';

const target = join(root, 'node_modules', ...PACKAGE.split('/'));
const staging = join(dirname(target), `.${PACKAGE.split('/')[1]}-staging`);
const buildLog = join(cache, `${PACKAGE.split('/')[1]}-build.log`);

class SetupError extends Error {}

function log(message) {
  process.stderr.write(`[native-tf] ${message}\n`);
}

/** Runs a command; throws SetupError with `what` and the tail of its output when it fails. */
function run(what, command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new SetupError(`${what} failed (${[command, ...commandArgs].join(' ')}):\n${result.error?.message ?? output}`);
  }
  return result.stdout;
}

/** Heavy steps yield the 2 shared cores to interactive work. */
function niced(command, commandArgs) {
  return spawnSync('nice', ['--version']).status === 0 ? ['nice', ['-n', '10', command, ...commandArgs]] : [command, commandArgs];
}

/** npm itself: the one running this script when started with `npm run`, else from PATH. */
function npm(npmArgs) {
  const cli = process.env.npm_execpath;
  return cli && cli.endsWith('.js') ? [process.execPath, [cli, ...npmArgs]] : ['npm', npmArgs];
}

function python() {
  const venv = join(root, '.sweep', 'venv', 'bin', 'python');
  for (const candidate of [venv, 'python3']) {
    if (spawnSync(candidate, ['-m', 'pip', '--version']).status === 0) return candidate;
  }
  throw new SetupError('no Python with pip (.sweep/venv/bin/python or python3): run `npm run setup` first, or install python3-pip.');
}

/** node-gyp ships inside npm; `npx node-gyp` would need the registry. */
function nodeGyp() {
  const candidates = [];
  if (process.env.npm_execpath)
    candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const prefix = spawnSync('npm', ['prefix', '-g'], { encoding: 'utf8' }).stdout?.trim();
  if (prefix) candidates.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const found = candidates.find((c) => existsSync(c));
  return found ? [process.execPath, [found]] : ['npx', ['--yes', 'node-gyp@10']];
}

/** Node's own headers: node-gyp would otherwise download them (no internet here). */
function nodeDir() {
  const dirs = [process.env.npm_config_nodedir, join(dirname(process.execPath), '..')].filter(Boolean);
  const dir = dirs.find((d) => existsSync(join(d, 'include', 'node', 'node_api.h')));
  if (!dir)
    throw new SetupError(
      `Node's headers (include/node/node_api.h) are not under ${dirs.join(' or ')}; install the Node development headers (Debian: libnode-dev) or set nodedir in ~/.npmrc.`,
    );
  return dir;
}

function preflight() {
  if (platform() !== 'linux' || arch() !== 'x64') {
    throw new SetupError(
      `the wheel route is built for linux x64 (this is ${platform()} ${arch()}); on other hosts \`npm install ${PACKAGE}\` uses Google's prebuilt library where the network allows.`,
    );
  }
  for (const tool of ['c++', 'make', 'tar']) {
    if (spawnSync(tool, ['--version']).status !== 0)
      throw new SetupError(`\`${tool}\` is missing; install build-essential (Debian) to build the addon.`);
  }
  nodeDir();
}

async function sha256(path) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * The wheel is the same for every Python (only its .so files are used), so pin the tags.
 * TensorFlow 2.12-2.20 wheels are manylinux2014 (glibc 2.17), 2.21 manylinux_2_27.
 */
function downloadWheel() {
  const dir = join(cache, 'wheels');
  const prefix = `${WHEEL.replace('-', '_')}-${TF_VERSION}-`;
  const find = () => existsSync(dir) && readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith('.whl'));
  if (find()) return join(dir, find());
  mkdirSync(dir, { recursive: true });
  log(`downloading ${WHEEL}==${TF_VERSION} from PyPI (~${GPU ? 600 : 230} MB, once) into ${dir}`);
  const pip = [
    python(),
    [
      '-m',
      'pip',
      'download',
      '--disable-pip-version-check',
      '-q',
      '--no-deps',
      '--only-binary=:all:',
      '--platform',
      'manylinux2014_x86_64',
      '--platform',
      'manylinux_2_27_x86_64',
      '--python-version',
      '3.11',
      '--implementation',
      'cp',
      '-d',
      dir,
      `${WHEEL}==${TF_VERSION}`,
    ],
  ];
  run(`pip download ${WHEEL}==${TF_VERSION}`, ...niced(...pip), { stdio: ['ignore', 'pipe', 'pipe'] });
  if (!find()) throw new SetupError(`pip reported success but no ${prefix}*.whl is in ${dir}`);
  return join(dir, find());
}

/** The package tarball from the registry (or npm's cache), checked against the lockfile. */
async function fetchPackage() {
  const dir = join(cache, 'npm');
  mkdirSync(dir, { recursive: true });
  let tarball = join(dir, `${PACKAGE.slice(1).replace('/', '-')}-${TFJS_VERSION}.tgz`);
  if (!existsSync(tarball)) {
    const out = run(
      `npm pack ${PACKAGE}@${TFJS_VERSION}`,
      ...npm(['pack', `${PACKAGE}@${TFJS_VERSION}`, '--json', '--prefer-offline', '--pack-destination', dir]),
      { cwd: dir },
    );
    tarball = join(dir, JSON.parse(out)[0].filename);
  }
  const lockfile = join(root, 'package-lock.json');
  const locked = existsSync(lockfile) ? JSON.parse(readFileSync(lockfile, 'utf8')).packages?.[`node_modules/${PACKAGE}`] : undefined;
  if (locked?.integrity) {
    const [algorithm, expected] = locked.integrity.split('-');
    const actual = createHash(algorithm).update(readFileSync(tarball)).digest('base64');
    if (actual !== expected)
      throw new SetupError(`${tarball} does not match the integrity recorded in package-lock.json; delete it and retry.`);
  }
  return tarball;
}

/**
 * The package's own dependencies go into its private node_modules, so the shared tree is not
 * touched. @tensorflow/tfjs is left out on purpose: it must resolve to the project's copy, or
 * the backend would register with a second tfjs engine the training code never sees.
 */
function installRuntimeDependencies(pkgDir) {
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const dependencies = Object.fromEntries(Object.entries(manifest.dependencies).filter(([name]) => !name.startsWith('@tensorflow/')));
  const dir = join(cache, 'tfjs-node-dependencies');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'tfjs-node-dependencies', private: true, dependencies }));
  run(
    'npm install of the addon loader and its helpers',
    ...npm([
      'install',
      '--prefix',
      dir,
      '--ignore-scripts',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--omit=dev',
      '--prefer-offline',
    ]),
    { cwd: dir },
  );
  renameSync(join(dir, 'node_modules'), join(pkgDir, 'node_modules'));
  rmSync(dir, { recursive: true, force: true });
}

/** Libraries into deps/lib, headers into deps/include, with the names binding.gyp links against. */
function extractLibtensorflow(wheel, pkgDir) {
  const script = `
import os, sys, zipfile
wheel, deps, libs, prefixes = sys.argv[1], sys.argv[2], sys.argv[3].split(','), sys.argv[4].split(',')
with zipfile.ZipFile(wheel) as z:
    names = set(z.namelist())
    missing = [l for l in libs if 'tensorflow/' + l not in names]
    if missing:
        sys.exit('the wheel has no ' + ', '.join(missing) + ' (TensorFlow < 2.12 keeps the C API in a libpython-bound module)')
    for l in libs:
        with z.open('tensorflow/' + l) as src, open(os.path.join(deps, 'lib', l), 'wb') as dst:
            while chunk := src.read(1 << 22):
                dst.write(chunk)
    for n in names:
        if any(n.startswith(p) for p in prefixes) and n.endswith('.h'):
            out = os.path.join(deps, 'include', n[len('tensorflow/include/'):])
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, 'wb') as dst:
                dst.write(z.read(n))
`;
  const deps = join(pkgDir, 'deps');
  mkdirSync(join(deps, 'lib'), { recursive: true });
  mkdirSync(join(deps, 'include'), { recursive: true });
  run(
    `extracting libtensorflow from ${wheel}`,
    ...niced(python(), ['-c', script, wheel, deps, LIBRARIES.join(','), HEADER_PREFIXES.join(',')]),
  );
  const symbols = spawnSync('nm', ['-D', '--defined-only', join(deps, 'lib', LIBRARIES[0])], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (symbols.status === 0 && !/ T TFE_NewContext(@|$)/m.test(symbols.stdout)) {
    throw new SetupError(`${LIBRARIES[0]} of ${WHEEL} ${TF_VERSION} does not export the eager C API (TFE_NewContext)`);
  }
  // binding.gyp links -ltensorflow -ltensorflow_framework; the addon then records the
  // libraries' sonames and finds them through its rpath $ORIGIN/../../deps/lib.
  symlinkSync(LIBRARIES[0], join(deps, 'lib', 'libtensorflow.so'));
  symlinkSync(LIBRARIES[1], join(deps, 'lib', 'libtensorflow_framework.so'));
}

/** The N-API version node-pre-gyp's find() will look for: the newest both sides support. */
function napiVersion(pkgDir) {
  const { binary } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  return Math.max(...binary.napi_versions.filter((v) => v <= Number(process.versions.napi)));
}

function buildAddon(pkgDir) {
  const napi = napiVersion(pkgDir);
  log(`building the addon with node-gyp (N-API ${napi}); log: ${buildLog}`);
  const gyp = nodeGyp();
  const gypArgs = [
    ...gyp[1],
    'rebuild',
    `--nodedir=${nodeDir()}`,
    '--module_name=tfjs_binding',
    `--module_path=${join(pkgDir, 'lib', `napi-v${napi}`)}`,
    `--napi_build_version=${napi}`,
    '-j',
    '2',
  ];
  const result = spawnSync(...niced(gyp[0], gypArgs), { cwd: pkgDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  writeFileSync(buildLog, `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}`);
  if (result.status !== 0) {
    const tail = readFileSync(buildLog, 'utf8').trim().split('\n').slice(-25).join('\n');
    throw new SetupError(`node-gyp could not build the addon against ${WHEEL} ${TF_VERSION}:\n${tail}`);
  }
  // node-gyp copied the addon to lib/napi-v<N>, where node-pre-gyp's find() looks.
  rmSync(join(pkgDir, 'build'), { recursive: true, force: true });
}

/**
 * Loads the package in a fresh Node (as the training backend chooser will) and checks that
 * it runs on TensorFlow, shares the project's tfjs, and multiplies correctly.
 */
function verify(spec) {
  const probe = `
const { createRequire } = require('node:module');
const fromRoot = createRequire(${JSON.stringify(join(root, 'package.json'))});
const entry = fromRoot.resolve(process.argv[1]);
const tf = require(entry);
const project = fromRoot('@tensorflow/tfjs');
if (project.getBackend() !== 'tensorflow') throw new Error("the project's @tensorflow/tfjs runs on " + project.getBackend() + ': the addon registered with another copy of tfjs');
const product = Array.from(tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]])).dataSync());
if (product.join() !== '19,22,43,50') throw new Error('matMul gave ' + product);
console.log(JSON.stringify({ backend: tf.getBackend(), libtensorflow: tf.backend().binding.TF_Version }));
`;
  // For the GPU build TensorFlow's own log says whether it found CUDA and a device; the
  // backend is called 'tensorflow' either way, and without CUDA it quietly runs on the CPU.
  const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: GPU ? '0' : '2' };
  const result = spawnSync(process.execPath, ['-e', probe, spec], { cwd: root, encoding: 'utf8', env });
  if (result.status !== 0) {
    const detail =
      `${result.stderr}`
        .trim()
        .split('\n')
        .filter((l) => /Error|error/.test(l))
        .slice(0, 3)
        .join('\n') || result.stderr.trim().slice(-2000);
    return { ok: false, detail };
  }
  const gpu = result.stderr
    .split('\n')
    .filter((l) => /device:GPU:\d|Could not (load dynamic library|find cuda)|GPU will not be used/.test(l));
  return { ok: true, gpu, ...JSON.parse(result.stdout.trim().split('\n').pop()) };
}

function installedMarker() {
  try {
    return JSON.parse(readFileSync(join(target, MARKER), 'utf8'));
  } catch {
    return null;
  }
}

async function main() {
  // A working package is kept unless it came from here with another TensorFlow (a changed
  // pin or --tf); one installed by npm with Google's library (where the network allows) counts.
  const marker = installedMarker();
  if (!flag('force') && (!marker || marker.wheel.startsWith(`${WHEEL.replace('-', '_')}-${TF_VERSION}-`))) {
    const check = verify(PACKAGE);
    if (check.ok)
      return log(
        `${PACKAGE} already works (libtensorflow ${check.libtensorflow}${marker ? ` from ${marker.wheel}` : ''}); --force rebuilds it.`,
      );
  }
  preflight();
  const wheel = downloadWheel();
  const tarball = await fetchPackage();
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    run(`unpacking ${tarball}`, 'tar', ['-xzf', tarball, '-C', staging, '--strip-components=1']);
    installRuntimeDependencies(staging);
    log(`staging libtensorflow from ${wheel.split('/').pop()}`);
    extractLibtensorflow(wheel, staging);
    buildAddon(staging);
    const staged = verify(staging);
    if (!staged.ok) throw new SetupError(`the built addon does not work:\n${staged.detail}`);
    writeFileSync(
      join(staging, MARKER),
      `${JSON.stringify({ tensorflow: TF_VERSION, wheel: wheel.split('/').pop(), sha256: await sha256(wheel), package: `${PACKAGE}@${TFJS_VERSION}` }, null, 2)}\n`,
    );
    const old = `${staging}-old`;
    rmSync(old, { recursive: true, force: true });
    if (existsSync(target)) renameSync(target, old);
    renameSync(staging, target);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const installed = verify(PACKAGE);
  if (!installed.ok) throw new SetupError(`${PACKAGE} was installed but does not load:\n${installed.detail}`);
  log(`${PACKAGE} works: backend ${installed.backend}, libtensorflow ${installed.libtensorflow}. Training picks it up automatically.`);
  if (GPU)
    log(
      `CUDA, as TensorFlow reports it:\n  ${installed.gpu.join('\n  ') || '(no device or CUDA messages; run with TF_CPP_MIN_LOG_LEVEL=0 to see its log)'}`,
    );
}

main().catch((err) => {
  if (!(err instanceof SetupError)) throw err;
  log(`native backend NOT installed: ${err.message}`);
  log('training keeps using the wasm backend.');
  process.exitCode = flag('strict') ? 1 : 0;
});
