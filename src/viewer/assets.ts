/**
 * The viewer's static assets, shipped inside the package (no CDN: the viewer works offline):
 * the stylesheet and the client script, with a version from their content for cache busting.
 */
import { createHash } from 'node:crypto';
import { CLIENT_SCRIPT } from './assets/client.js';
import { STYLE } from './assets/style.js';

/** A short hash of the assets: changes whenever either does. */
export const ASSET_VERSION = createHash('sha256').update(STYLE).update(CLIENT_SCRIPT).digest('hex').slice(0, 12);

/** The assets by name, with their content types. */
export const ASSETS: ReadonlyMap<string, { body: string; type: string }> = new Map([
  ['style.css', { body: STYLE, type: 'text/css; charset=utf-8' }],
  ['app.js', { body: CLIENT_SCRIPT, type: 'text/javascript; charset=utf-8' }],
]);
