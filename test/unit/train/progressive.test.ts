// PROD's data-progressive selection against the golden case in test/golden/losses.json.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { firstRelevantRank, selectDataProgressive } from '../../../src/core/distill/progressive';

const golden = JSON.parse(readFileSync(path.resolve(__dirname, '../../golden/losses.json'), 'utf8'));

describe('data-progressive selection (algorithms.md section 5)', () => {
  it('matches the golden selection: student rank 2..15 and teacher rank 1', () => {
    const g = golden.expected.dpd_selection;
    const got = selectDataProgressive(g.student_first_relevant_rank, g.teacher_first_relevant_rank, {
      rankLow: 2,
      rankHigh: 15,
      teacherRank: 1,
    });
    expect(got).toEqual(g.selected);
  });

  it('finds the first relevant rank (1-based) or null', () => {
    expect(firstRelevantRank([5, 3, 9], new Set([9, 3]))).toBe(2);
    expect(firstRelevantRank([5, 3, 9], new Set([1]))).toBeNull();
  });
});
