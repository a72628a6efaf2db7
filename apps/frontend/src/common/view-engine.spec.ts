import { describe, expect, it } from 'vitest';
import hbs from 'hbs';
import { breakablePath } from './view-engine';

const escape = hbs.handlebars.escapeExpression;

describe('breakablePath', () => {
  it('allows a line break after each separator, so a file name never wraps mid-word', () => {
    expect(breakablePath('in/bad/truncated_header.jpg', escape)).toBe('in/<wbr>bad/<wbr>truncated_<wbr>header.<wbr>jpg');
    expect(breakablePath('plain', escape)).toBe('plain');
  });

  it('escapes the path itself', () => {
    expect(breakablePath('a<b>/"c".jpg', escape)).toBe('a&lt;b&gt;/<wbr>&quot;c&quot;.<wbr>jpg');
  });
});
