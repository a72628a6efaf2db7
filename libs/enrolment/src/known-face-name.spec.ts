import { describe, expect, it } from 'vitest';
import { personNameFromFileName, personNameFromFolder } from './known-face-name';

describe('personNameFromFileName', () => {
  it.each([
    ['john_doe_1.jpg', 'john doe'],
    ['barack-obama_1.jpg', 'barack-obama'],
    ['hannibal_12.PNG', 'hannibal'],
    ['a_1_2.webp', 'a 1'],
    ['Zoë_3.avif', 'Zoë'],
  ])('%s → %s', (file, name) => expect(personNameFromFileName(file)).toBe(name));

  it.each(['john.jpg', 'john_.jpg', '_1.jpg', 'john_1.txt', 'john_x.jpg', '.hidden'])('refuses %s', (file) => {
    expect(personNameFromFileName(file)).toBeUndefined();
  });
});

describe('personNameFromFolder', () => {
  it('names the person after the folder, for any image file name', () => {
    expect(personNameFromFolder('stuart', 'beach.JPG')).toBe('stuart');
    expect(personNameFromFolder('john_doe', 'IMG_0042.jpeg')).toBe('john doe');
  });

  it.each(['notes.txt', '.DS_Store', 'photo'])('refuses %s', (file) => expect(personNameFromFolder('stuart', file)).toBeUndefined());
});
