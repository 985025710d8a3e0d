/** Terminal colour schemes a lab can choose (lab.yaml `terminal.color_scheme`). */
import type { ITheme } from '@xterm/xterm';

const SOLARIZED = {
  black: '#073642', red: '#dc322f', green: '#859900', yellow: '#b58900', blue: '#268bd2', magenta: '#d33682', cyan: '#2aa198', white: '#eee8d5',
  brightBlack: '#586e75', brightRed: '#cb4b16', brightGreen: '#586e75', brightYellow: '#657b83', brightBlue: '#839496', brightMagenta: '#6c71c4', brightCyan: '#93a1a1', brightWhite: '#fdf6e3',
};

export const THEMES: Record<string, ITheme> = {
  dark: { background: '#1e1e1e', foreground: '#d4d4d4', cursor: '#d4d4d4', selectionBackground: '#264f78' },
  light: {
    background: '#ffffff', foreground: '#1e1e1e', cursor: '#1e1e1e', selectionBackground: '#add6ff',
    black: '#000000', red: '#c91b00', green: '#00a600', yellow: '#a68b00', blue: '#0225c7', magenta: '#c930c7', cyan: '#00a5b2', white: '#bfbfbf',
  },
  'solarized-dark': { ...SOLARIZED, background: '#002b36', foreground: '#839496', cursor: '#93a1a1', selectionBackground: '#073642' },
  'solarized-light': { ...SOLARIZED, background: '#fdf6e3', foreground: '#657b83', cursor: '#586e75', selectionBackground: '#eee8d5' },
};
