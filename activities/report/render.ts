// Vega-Lite spec -> PNG file, entirely in Node: vega renders SVG without a browser or the
// canvas package, resvg rasterises it with a bundled DejaVu font (no system fonts, so the
// images look the same on every host).
import { createRequire } from 'node:module';
import { writeFile } from 'node:fs/promises';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export const FONT_FAMILY = 'DejaVu Sans';
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((file) =>
  createRequire(import.meta.url).resolve(`dejavu-fonts-ttf/ttf/${file}`),
);
/** Pixels per SVG unit: sharp on high-density screens and in print. */
const ZOOM = 2;

/** Styling every figure shares; figures set only what is specific to them. */
const CONFIG = {
  font: FONT_FAMILY,
  background: 'white',
  view: { stroke: '#bbb' },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', labelLimit: 400 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 14, fontWeight: 'bold', anchor: 'start' },
} as const;

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const withConfig = { ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(withConfig).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function renderPng(spec: TopLevelSpec, path: string): Promise<void> {
  const svg = await renderSvg(spec);
  const png = new Resvg(svg, {
    font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
    fitTo: { mode: 'zoom', value: ZOOM },
  })
    .render()
    .asPng();
  await writeFile(path, png);
}
