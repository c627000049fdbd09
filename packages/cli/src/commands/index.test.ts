/*
 * The command registry names each command as its definition does: `main` loads only
 * the command named by the first argument, so a name that drifted from its definition
 * would send that command through the slow path (or to the wrong module).
 */
import { describe, expect, it } from 'vitest';
import { commands, commandsFor } from './index.js';

describe('command registry', () => {
  it('names each command by the first word of its definition, sorted', async () => {
    for (const entry of commands) {
      const def = await entry.load();
      expect(typeof def.command, entry.name).toBe('string');
      expect((def.command as string).split(' ')[0], entry.name).toBe(entry.name);
    }
    const names = commands.map((c) => c.name);
    expect(names).toEqual([...names].sort());
  });

  it('loads the named command alone, and every command otherwise', async () => {
    expect((await commandsFor(['check', '--staged'])).map((d) => d.command)).toEqual(['check [paths..]']);
    expect(await commandsFor(['--help'])).toHaveLength(commands.length);
    expect(await commandsFor(['chek'])).toHaveLength(commands.length);
    expect(await commandsFor([])).toHaveLength(commands.length);
  });
});
