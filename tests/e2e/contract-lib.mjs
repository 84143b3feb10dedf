/*
 * The API contract for the end-to-end tests: web/src/lib/contract.ts loaded
 * as a module, the routes the server registers (src/api/*.c), and the route
 * a request lands on. Used by flows/90-contract.mjs (the real server) and
 * mocked.mjs (its scripted backend must answer in the same shapes).
 */
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';

/** web/src/lib/contract.ts as a module (esbuild from the UI's own dependencies). */
export async function loadContract(root, work) {
  const esbuild = createRequire(join(root, 'web', 'package.json'))('esbuild');
  const out = join(mkdtempSync(join(work || tmpdir(), 'contract-')), 'contract.mjs');
  esbuild.buildSync({ entryPoints: [join(root, 'web', 'src', 'lib', 'contract.ts')], bundle: true, format: 'esm', platform: 'neutral', outfile: out, logLevel: 'silent' });
  return import(pathToFileURL(out).href);
}

/** "METHOD /path/{param}" of every http_route() call in src/api/. */
export function serverRoutes(root) {
  const dir = join(root, 'src', 'api');
  const routes = new Set();
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.c'))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/http_route\(\s*rt\s*,\s*"([A-Z]+)"\s*,\s*"([^"]+)"/g)) routes.add(`${m[1]} ${m[2]}`);
  }
  return routes;
}

/** The registered route a request lands on: the one with the fewest {params} that matches. */
export function routeOf(routes, method, path) {
  const p = path.split('?')[0];
  let best = null;
  let bestParams = Infinity;
  for (const r of routes) {
    const [m, pat] = r.split(' ');
    if (m !== method) continue;
    const re = new RegExp(`^${pat.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const params = (pat.match(/\{/g) || []).length;
    if (re.test(p) && params < bestParams) {
      best = r;
      bestParams = params;
    }
  }
  return best;
}

