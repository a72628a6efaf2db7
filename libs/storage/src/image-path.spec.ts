import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImagePathError, resolveImagePath } from './image-path';
import { ImagePathProblem } from './storage-error';

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
    mkdirSync(join(base, 'outside'));
    writeFileSync(join(base, 'outside', 'there.jpg'), 'o');
    symlinkSync(join(base, 'outside'), join(root, 'linked-out'));
    symlinkSync(join(root, 'sub'), join(root, 'linked-in'));
    symlinkSync(join(base, 'outside', 'gone.jpg'), join(root, 'dangling-out.jpg'));
    symlinkSync(join(base, 'no-such-dir'), join(root, 'dangling-dir'));
    symlinkSync(join(root, 'sub', 'gone.jpg'), join(root, 'dangling-in.jpg'));
    symlinkSync(join(root, 'loop-b'), join(root, 'loop-a'));
    symlinkSync(join(root, 'loop-a'), join(root, 'loop-b'));
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
    // No existence oracle: under a link that leads out, a missing file is outside_root like an existing one.
    ['an existing file under a symlinked directory outside', 'linked-out/there.jpg', 'outside_root'],
    ['a missing file under a symlinked directory outside', 'linked-out/nope.jpg', 'outside_root'],
    ['a missing file deeper under a symlinked directory outside', 'linked-out/x/y/nope.jpg', 'outside_root'],
    ['a dangling symlink to a missing file outside', 'dangling-out.jpg', 'outside_root'],
    ['a file under a dangling symlink to a missing directory outside', 'dangling-dir/nope.jpg', 'outside_root'],
    ['a missing file under a symlinked directory inside', 'linked-in/nope.jpg', 'not_found'],
    ['a dangling symlink to a missing file inside', 'dangling-in.jpg', 'not_found'],
    ['a missing file below a file', 'a.jpg/nope.jpg', 'not_found'],
    ['a symlink loop', 'loop-a', 'path_invalid'],
    ['a missing file under a symlink loop', 'loop-a/nope.jpg', 'path_invalid'],
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
