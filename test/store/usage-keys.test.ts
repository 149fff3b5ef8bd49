/**
 * Usage is grouped by a caller's strings (model names): a model called `__proto__` or
 * `constructor` is a model like any other, on every kind of store and in a tree roll-up.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Delta } from '../../src/index.js';
import { KINDS, withStore } from '../helpers/store-fixtures.js';

const spend = (model: string, costUSD: number, inputTokens: number): Delta => ({
  type: 'assistant:message',
  message: { content: 'done', resourceUsage: { model, costUSD, inputTokens } },
});

describe('usage by model with reserved-looking names', () => {
  for (const kind of KINDS)
    test(`a model named __proto__ keeps all of its cost (${kind})`, () =>
      withStore(kind, async ({ store }) => {
        const t = await store.createThread();
        await store.append(t.id, [spend('__proto__', 1, 100), spend('constructor', 0.25, 10), spend('__proto__', 0.5, 50)]);
        const child = await store.spawnSubAgentThread(t.id, 'more');
        await store.append(child.id, spend('__proto__', 2, 200));

        const own = await store.usage(t.id);
        assert.equal(own.costUSD, 1.75);
        assert.deepEqual(Object.keys(own.byModel).sort(), ['__proto__', 'constructor']);
        assert.ok(Object.hasOwn(own.byModel, '__proto__'), 'an own key, not the prototype');
        assert.equal(Object.getPrototypeOf(own.byModel), Object.prototype);
        assert.equal(own.byModel['__proto__']!.costUSD, 1.5);
        assert.equal(own.byModel['__proto__']!.inputTokens, 150);
        assert.equal(own.byModel['constructor']!.costUSD, 0.25);
        assert.deepEqual(JSON.parse(JSON.stringify(own)).byModel['__proto__'].costUSD, 1.5);

        const tree = await store.usage(t.id, { tree: true, byDay: true });
        assert.equal(tree.costUSD, 3.75);
        assert.equal(tree.byModel['__proto__']!.costUSD, 3.5);
      }));
});
