import { describe, expect, it } from 'vitest';
import { FaceQualityInputs, FaceQualityRule, judgeFaceQuality } from './face-quality';

const rule: FaceQualityRule = { minSize: 40, minScore: 0.5, minSharpness: 100, maxYaw: 45, maxPitch: 30 };
const good: FaceQualityInputs = { size: 120, score: 0.99, sharpness: 600, yaw: -10, pitch: 5, roll: 25 };

describe('judgeFaceQuality', () => {
  it('passes a face within every limit (roll is not judged: alignment undoes it)', () => {
    expect(judgeFaceQuality(good, rule)).toEqual({ lowQuality: false, reasons: [] });
    expect(judgeFaceQuality({ ...good, size: 40, score: 0.5, sharpness: 100, yaw: -45, pitch: 30, roll: 80 }, rule).lowQuality).toBe(false);
  });

  it('names every limit a face is past', () => {
    expect(judgeFaceQuality({ ...good, size: 39, sharpness: 20 }, rule)).toEqual({ lowQuality: true, reasons: ['too_small', 'blurred'] });
    expect(judgeFaceQuality({ ...good, score: 0.4, yaw: 60, pitch: -31 }, rule)).toEqual({
      lowQuality: true,
      reasons: ['low_score', 'turned_away', 'tilted_up_or_down'],
    });
  });
});
