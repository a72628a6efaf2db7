import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImagePathError, ImagePathProblem, resolveImagePath } from './image-path';

describe('resolveImagePath', () => {
  let base: string;
  let root: string;

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'visage-path-'));
    root = join(base, 'images');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'a.jpg'), 'x'.repeat(10));
    writeFileSync(join(root, 'sub', 'b.jpg'), 'y');
    writeFileSync(join(root, 'empty.jpg'), '');
    writeFileSync(join(base, 'secret.jpg'), 'z');
    symlinkSync(join(base, 'secret.jpg'), join(root, 'escape.jpg'));
    symlinkSync(join(root, 'a.jpg'), join(root, 'inside-link.jpg'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('resolves relative and absolute paths inside the root to a canonical relative path', async () => {
    await expect(resolveImagePath(root, 'a.jpg')).resolves.toMatchObject({ relative: 'a.jpg', size: 10 });
    await expect(resolveImagePath(root, join(root, 'sub', 'b.jpg'))).resolves.toMatchObject({ relative: 'sub/b.jpg' });
    await expect(resolveImagePath(root, './sub/../a.jpg')).resolves.toMatchObject({ relative: 'a.jpg' });
    await expect(resolveImagePath(root, 'inside-link.jpg')).resolves.toMatchObject({ relative: 'a.jpg' });
  });

  const cases: Array<[string, unknown, ImagePathProblem, { maxBytes?: number }?]> = [
    ['missing', undefined, 'path_required'],
    ['null', null, 'path_required'],
    ['empty', '', 'path_required'],
    ['blank', '   ', 'path_required'],
    ['number', 42, 'path_not_string'],
    ['object', { p: 1 }, 'path_not_string'],
    ['NUL byte', 'a\0.jpg', 'path_invalid'],
    ['a newline (forged log lines)', 'a\nINFO forged.jpg', 'path_invalid'],
    ['a C1 control', 'a\u0085.jpg', 'path_invalid'],
    ['a right-to-left override', 'photo\u202egpj.exe', 'path_invalid'],
    ['dot-dot escape', '../secret.jpg', 'outside_root'],
    ['absolute outside', '/etc/passwd', 'outside_root'],
    ['the root itself', '.', 'outside_root'],
    ['symlink escape', 'escape.jpg', 'outside_root'],
    ['missing file', 'nope.jpg', 'not_found'],
    ['directory', 'sub', 'not_a_file'],
    ['empty file', 'empty.jpg', 'empty_file'],
    ['too large', 'a.jpg', 'too_large', { maxBytes: 5 }],
  ];
  it.each(cases)('refuses %s', async (_name, input, problem, options) => {
    const error = await resolveImagePath(root, input, options).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImagePathError);
    expect((error as ImagePathError).code).toBe(problem);
  });
});
