import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Templates and static files live beside the sources (`apps/frontend/src/{views,public}`); the build copies
 * them next to the compiled JS (`dist/apps/frontend/src/`). Looking beside this file first works for both;
 * the source tree is the fallback for a build made without the copy step.
 */
function assetDir(name: 'views' | 'public'): string {
  const candidates = [resolve(__dirname, '..', name), resolve(__dirname, '../../../../../apps/frontend/src', name)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`frontend ${name} directory not found (looked in ${candidates.join(', ')})`);
  return found;
}

export const VIEWS_DIR = assetDir('views');
export const PUBLIC_DIR = assetDir('public');
