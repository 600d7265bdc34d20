import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { it } from 'node:test';

const SRC = resolve(__dirname, '..', '..', 'src');

/** The modules of src/ each compiled module requires at run time (type-only imports are erased). */
function importGraph(): Map<string, string[]> {
  const files = readdirSync(SRC, { recursive: true })
    .map((f) => join(SRC, String(f)))
    .filter((f) => f.endsWith('.js') && !f.endsWith('.test.js'));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const deps = [...readFileSync(file, 'utf8').matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)].flatMap((m) => {
      const base = resolve(dirname(file), m[1]!);
      const target = [`${base}.js`, join(base, 'index.js')].find((f) => existsSync(f));
      return target ? [target] : [];
    });
    graph.set(file, deps);
  }
  return graph;
}

/** Strongly connected components of more than one module, or a module that requires itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
    }
    if (low.get(v) === order.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.includes(v)) found.push(component);
    }
  };
  for (const v of graph.keys()) if (!order.has(v)) visit(v);
  return found;
}

it('src/ has no import cycle at run time', () => {
  const graph = importGraph();
  assert.ok(graph.size > 100, `read ${graph.size} modules`);
  const found = cycles(graph).map((c) => c.map((f) => relative(SRC, f)).sort());
  assert.deepEqual(found, []);
});

it('the cycle check finds a cycle when there is one', () => {
  const graph = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
    ['d', ['a']],
  ]);
  assert.deepEqual(
    cycles(graph).map((c) => c.sort()),
    [['a', 'b', 'c']],
  );
});
