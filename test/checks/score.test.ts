import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradeOf, scoreResults } from '../../src/checks/score.ts';

test('score: weighted share of passed checks, counts of passed and total', () => {
  assert.deepEqual(scoreResults([{ passed: true, weight: 1 }, { passed: false, weight: 2 }, { passed: false, weight: 1 }]), { passed: 1, total: 3, score: 0.25 });
  assert.deepEqual(scoreResults([{ passed: true, weight: 3 }, { passed: true, weight: 1 }]), { passed: 2, total: 2, score: 1 });
  assert.deepEqual(scoreResults([{ passed: true, weight: 1 }, { passed: false, weight: 1 }, { passed: false, weight: 1 }]), { passed: 1, total: 3, score: 0.333333 });
  assert.deepEqual(scoreResults([]), { passed: 0, total: 0, score: 0 });
});

test('grade: best of all attempts, or the latest one; none before the first attempt', () => {
  assert.equal(gradeOf([0.25, 1, 0.5], 'best'), 1);
  assert.equal(gradeOf([0.25, 1, 0.5], 'latest'), 0.5);
  assert.equal(gradeOf([], 'best'), null);
});
