/**
 * Copy and paste in the terminal, the same in Chromium and Firefox: Ctrl+Shift+C / Ctrl+Insert copy the
 * selection, Ctrl+Shift+V / Shift+Insert let the browser paste into xterm's textarea (a real paste event,
 * which needs no clipboard permission), and plain Ctrl+C stays an interrupt.
 */
import type { Terminal } from '@xterm/xterm';

async function writeClipboard(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {}
  // Chromium refuses writeText in a frame the course page did not allow clipboard-write (Firefox allows it).
  // The copy command still works there; it needs a selected text field, so the terminal gets focus back
  // afterwards or the learner's next keystrokes would go nowhere.
  const terminalInput = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const area = document.createElement('textarea');
  area.value = text;
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  document.execCommand('copy');
  area.remove();
  terminalInput?.focus({ preventScroll: true });
}

export function installClipboard(term: Terminal): void {
  term.attachCustomKeyEventHandler((event) => {
    if (event.type !== 'keydown') return true;
    const key = event.key.toLowerCase();
    const copy = (event.ctrlKey && event.shiftKey && key === 'c') || (event.ctrlKey && key === 'insert') || (event.metaKey && key === 'c');
    if (copy) {
      if (term.hasSelection()) void writeClipboard(term.getSelection());
      event.preventDefault();
      return false;
    }
    const paste = (event.ctrlKey && event.shiftKey && key === 'v') || (event.shiftKey && key === 'insert') || (event.metaKey && key === 'v');
    // Returning false keeps xterm from sending ^V; the browser's own paste event then reaches xterm.
    return !paste;
  });
}
