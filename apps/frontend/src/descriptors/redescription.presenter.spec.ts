import { describe, expect, it } from 'vitest';
import { presentRedescription } from './redescription.presenter';

const none = { done: 0, waiting: 0, failed: 0 };

describe('the re-description line', () => {
  it('counts with thousands separators and says what failed', () => {
    expect(
      presentRedescription({
        recipe: 'chip-flip',
        faces: { done: 1_234, waiting: 3_763, failed: 3 },
        enrolments: { done: 12, waiting: 28, failed: 0 },
      })?.text,
    ).toBe(
      'Re-describing stored faces for chip-flip: 1,234 of 5,000 faces, 12 of 40 enrolments done; 3 faces failed (image gone or face not found again)',
    );
  });

  it('uses the singular for one, and leaves the failures out when there are none', () => {
    expect(presentRedescription({ recipe: 'crop', faces: { done: 0, waiting: 1, failed: 0 }, enrolments: { ...none, failed: 1 } })?.text).toBe(
      'Re-describing stored faces for crop: 0 of 1 face, 0 of 1 enrolment done; 1 enrolment failed (image gone or face not found again)',
    );
    expect(presentRedescription({ recipe: 'chip-flip', faces: none, enrolments: { ...none, waiting: 2 } })?.text).toBe(
      'Re-describing stored faces for chip-flip: 0 of 0 faces, 0 of 2 enrolments done',
    );
  });

  it('is absent when nothing waits or failed', () => {
    expect(presentRedescription({ recipe: 'chip-flip', faces: { ...none, done: 5_000 }, enrolments: { ...none, done: 40 } })).toBeUndefined();
    expect(presentRedescription({ recipe: 'chip-flip', faces: none, enrolments: none })).toBeUndefined();
  });
});
