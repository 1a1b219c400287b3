// A student cut from a teacher's layers (DistilBERT style): embeddings and the chosen blocks
// copied, so the student's first hidden states are the teacher's exactly.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors';
import { everyOtherLayer, importModelFolder, initFromTeacher, spreadLayers } from '../../../src/core/model';
import { loadFolder, ST_GOLDEN } from './stGolden';

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
});

describe('initFrom: a student from a subset of the teacher layers', () => {
  it('picks every other layer, or n spread evenly', () => {
    expect(everyOtherLayer(12)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(everyOtherLayer(3)).toEqual([0, 2]);
    expect(spreadLayers(12, 4)).toEqual([0, 4, 7, 11]);
    expect(() => spreadLayers(2, 3)).toThrow(ConfigError);
  });

  it('copies embeddings and the chosen blocks: hidden states match the teacher', async () => {
    const { model: teacher } = importModelFolder(loadFolder(ST_GOLDEN.meanCos).files);
    const student = await initFromTeacher(teacher, [0], { initSeed: 5 });
    expect(student.config.layers).toBe(1);
    expect(student.config.pooling).toBe('mean');
    expect(student.numParameters).toBeLessThan(teacher.numParameters);
    const batch = teacher.tokenizeTexts(['dense retrieval model', 'hello world'], 12);
    const t = teacher.hiddenStates(batch);
    const s = student.hiddenStates(batch);
    expect(s.hidden.length).toBe(1);
    expect(Array.from(s.hidden[0].dataSync())).toEqual(Array.from(t.hidden[0].dataSync()));
    tf.dispose([t.embeddings, ...t.hidden, s.embeddings, ...s.hidden]);

    const second = await initFromTeacher(teacher, [1]);
    const w1 = teacher.variable('encoder.layer.1.output.dense.weight').dataSync();
    expect(Array.from(second.variable('encoder.layer.0.output.dense.weight').dataSync())).toEqual(Array.from(w1));
    await expect(initFromTeacher(teacher, [1, 0])).rejects.toThrow(/increasing/);
    second.dispose();
    student.dispose();
    teacher.dispose();
  });
});
