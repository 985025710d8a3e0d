/**
 * A small asciicast v2 player: replays a recording's output events into an xterm with their timing.
 * Pauses longer than IDLE_LIMIT are shortened to it (as asciinema's idle_time_limit does), so a learner
 * who went for coffee does not make the instructor wait.
 */
import { Terminal } from '@xterm/xterm';
import { sayTerminalStrings } from './terminal-strings.ts';
import { parseAsciicast } from '../src/recordings/asciicast.ts';
import { THEMES } from './terminal-themes.ts';

const IDLE_LIMIT = 2;

export class CastPlayer {
  private term: Terminal | undefined;
  private timer: number | undefined;
  private generation = 0;

  constructor(private readonly container: HTMLElement) {}

  /** Plays `text`; resolves when the last event was written (or the play was stopped). */
  play(text: string, onProgress: (shown: number, total: number) => void): Promise<void> {
    this.stop();
    const cast = parseAsciicast(text);
    const generation = ++this.generation;
    this.term?.dispose();
    this.container.replaceChildren();
    sayTerminalStrings();
    const term = new Terminal({ fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace', fontSize: 14, theme: THEMES.dark, cols: cast.header.width, rows: cast.header.height, disableStdin: true, scrollback: 5000 });
    this.term = term;
    term.open(this.container);
    const events = cast.events;
    return new Promise((resolve) => {
      let index = 0;
      const step = () => {
        if (generation !== this.generation) return resolve();
        if (index >= events.length) {
          onProgress(events.length, events.length);
          return resolve();
        }
        const [time, code, data] = events[index++];
        if (code === 'o') term.write(data);
        if (code === 'r') {
          const [cols, rows] = data.split('x').map(Number);
          term.resize(cols, rows);
        }
        onProgress(index, events.length);
        const next = events[index];
        const gap = next ? Math.min(next[0] - time, IDLE_LIMIT) : 0;
        this.timer = window.setTimeout(step, gap * 1000);
      };
      step();
    });
  }

  stop(): void {
    this.generation++;
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
