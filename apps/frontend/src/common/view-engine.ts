import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import hbs from 'hbs';

/** Where a file path may wrap: after `/`, `_`, `-` and `.` (public/live.js splits the same way). */
const PATH_SEPARATOR = /([/_.-])/;

/** The path as escaped text with a `<wbr>` after each separator, so it wraps between words, never inside one. */
export function breakablePath(path: string, escape: (text: string) => string): string {
  return path
    .split(PATH_SEPARATOR)
    .map((part) => (PATH_SEPARATOR.test(part) ? `${escape(part)}<wbr>` : escape(part)))
    .join('');
}

/**
 * One Handlebars instance per app (not the module-global one), so two apps in one process (tests, the
 * embedded launcher) never share partials or caches. `{{ }}` escapes everything; the templates never use
 * the unescaped `{{{ }}}` form, so every user-controlled string is rendered as text (`breakablePath` escapes too).
 */
export function createViewEngine(viewsDir: string): ReturnType<typeof hbs.create> {
  const engine = hbs.create();
  const partialsDir = join(viewsDir, 'partials');
  for (const file of readdirSync(partialsDir).filter((name) => name.endsWith('.hbs'))) {
    engine.registerPartial(basename(file, '.hbs'), readFileSync(join(partialsDir, file), 'utf8'));
  }
  engine.registerHelper('eq', (left: unknown, right: unknown) => left === right);
  engine.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  engine.registerHelper('and', (...args: unknown[]) => args.slice(0, -1).every(Boolean));
  engine.registerHelper('breakablePath', (path: string) => new engine.handlebars.SafeString(breakablePath(path, engine.handlebars.escapeExpression)));
  return engine;
}
