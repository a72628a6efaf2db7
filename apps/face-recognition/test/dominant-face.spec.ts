import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceAnalysis } from '@visage/domain';
import { parseConfig } from '@visage/config';
import { describeSingleFace } from '@visage/enrolment';
import { qualityRuleOf } from '@visage/matcher';
import { ContentFaceAnalyzer } from '@visage/recognizer-client';
import { decodeImage } from '../src/engine/image-decoder';
import { OnnxFaceEngine } from '../src/engine/onnx/onnx-face-engine';
import { fixtureBytes, FIXTURES_DIR } from '../../../test/support/fixtures';

/** The recognizer's engine in this process, behind the port enrolment calls. */
class InProcessAnalyzer implements ContentFaceAnalyzer {
  constructor(private readonly engine: OnnxFaceEngine) {}
  async analyzeContent(content: Buffer): Promise<FaceAnalysis> {
    return this.engine.analyze(await decodeImage(content, { maxPixels: 40_000_000 }), false);
  }
  analyze(): Promise<FaceAnalysis> {
    throw new Error('enrolment sends the content');
  }
  async isServing(): Promise<boolean> {
    return true;
  }
}

/** The astronaut large in the middle of a grey 1180×860 photo, the camera man small in its top-left corner. */
async function astronautWithBystander(): Promise<Buffer> {
  const astronaut = await sharp(join(FIXTURES_DIR, 'astronaut.png')).resize(460).toBuffer();
  const cameraMan = await sharp(join(FIXTURES_DIR, 'camera.png')).resize(340).toColourspace('srgb').toBuffer();
  return sharp({ create: { width: 1180, height: 860, channels: 3, background: '#808080' } })
    .composite([
      { input: astronaut, left: 360, top: 200 },
      { input: cameraMan, left: 0, top: 0 },
    ])
    .jpeg({ quality: 90 })
    .toBuffer();
}

const distance = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((sum, value, k) => sum + (value - b[k]) ** 2, 0));

/** The default quality rule: these fixtures' faces all pass it. */
const QUALITY = qualityRuleOf(parseConfig({}));

describe('enrolment from a photo with several faces (real engine, committed fixtures)', () => {
  let engine: OnnxFaceEngine;
  let analyzer: InProcessAnalyzer;

  beforeAll(async () => {
    engine = await OnnxFaceEngine.create({ minScore: 0.5, threads: 1, recipe: 'chip-flip' });
    analyzer = new InProcessAnalyzer(engine);
  }, 60_000);
  afterAll(() => engine?.dispose());

  it('takes the clearly dominant face (the astronaut), not the bystander in the corner', async () => {
    const photo = await astronautWithBystander();
    expect((await analyzer.analyzeContent(photo)).faces).toHaveLength(2);
    const described = await describeSingleFace(analyzer, photo, 'astronaut-with-bystander.jpg', QUALITY);
    expect(described).toMatchObject({ status: 'ok', facesInPhoto: 2 });
    const alone = await describeSingleFace(analyzer, await fixtureBytes('astronaut.png'), 'astronaut.png', QUALITY);
    const cameraMan = await describeSingleFace(analyzer, await fixtureBytes('camera.png'), 'camera.png', QUALITY);
    if (described.status !== 'ok' || alone.status !== 'ok' || cameraMan.status !== 'ok') throw new Error('a face was not described');
    expect(distance(described.descriptor, alone.descriptor)).toBeLessThan(0.3);
    expect(distance(described.descriptor, cameraMan.descriptor)).toBeGreaterThan(0.6);
  });

  it('refuses two people of one size side by side, saying how many faces it found', async () => {
    expect(await describeSingleFace(analyzer, await fixtureBytes('two_people.jpg'), 'two_people.jpg', QUALITY)).toEqual({
      status: 'several_faces',
      count: 2,
    });
  });
});
