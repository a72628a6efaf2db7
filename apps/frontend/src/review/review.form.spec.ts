import { describe, expect, it } from 'vitest';
import { validate } from '@visage/validation';
import { nameForm } from './review.form';

describe('the naming form', () => {
  it('reads the name by the shared rule and sorts the faces asked about into confirmed and left out', () => {
    expect(validate(nameForm, { _csrf: 't', name: ' Ada ' }, 'body')).toEqual({ ok: true, value: { name: 'Ada' } });
    expect(validate(nameForm, { name: 'Ada', asked: '7', 'keep-7': 'confirm' }, 'body')).toEqual({ ok: true, value: { name: 'Ada', confirm: [7] } });
    expect(validate(nameForm, { name: 'Ada', asked: ['7', '8', '9'], 'keep-7': 'confirm', 'keep-9': 'leaveOut' }, 'body')).toEqual({
      ok: true,
      value: { name: 'Ada', confirm: [7], leaveOut: [8, 9] },
    });
  });

  it.each([
    [{}, 'name_required'],
    [{ name: '  ' }, 'name_required'],
    [{ name: ['Ada', 'Bob'] }, 'name_not_string'],
    [{ name: 'a\u0000b' }, 'name_invalid'],
    [{ name: 'x'.repeat(256) }, 'name_too_long'],
    [{ name: 'Ada', asked: ['7', 'x'] }, 'invalid_asked'],
    [{ name: 'Ada', asked: '0' }, 'invalid_asked'],
  ])('refuses %j with %s', (form, code) => {
    const result = validate(nameForm, form, 'body');
    expect(result.ok ? undefined : result.problem.code).toBe(code);
  });
});
