/**
 * What xterm.js says to a screen reader (its input's label, the notice when output is too fast to read
 * out) in the page's language (docs/i18n.md). xterm keeps these words for every terminal of the page and
 * reads them when one opens, so each view sets them before making its terminal.
 */
import { Terminal } from '@xterm/xterm';
import { t } from './i18n.ts';

export function sayTerminalStrings(): void {
  Terminal.strings.promptLabel = t('screen.terminalInput');
  Terminal.strings.tooMuchOutput = t('screen.tooMuchOutput');
}
