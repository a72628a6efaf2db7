import { describe, expect, it } from 'vitest';
import { likeContains, likePrefix } from './like-pattern';

describe('LIKE patterns', () => {
  it('escape the wildcards and the escape character itself', () => {
    expect(likeContains('50%_a!b')).toBe('%50!%!_a!!b%');
    expect(likePrefix('known:a_b%\\')).toBe('known:a!_b!%\\%');
  });
});
