/**
 * Lab instructions: Markdown from the lab folder rendered with `marked` and sanitised on the way.
 * Raw HTML in the Markdown is shown as text (never interpreted), and links / images keep only http(s),
 * mailto and relative URLs, so an instructions file cannot run script in the learner's page.
 * The page's Content-Security-Policy (no inline script) is the second fence.
 */
import { Marked, type Tokens } from 'marked';

const SAFE_URL = /^(https?:|mailto:|#|\/(?!\/)|\.{0,2}\/|[\w.-]+(?:[/?#]|$))/i;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export function safeUrl(href: string): string {
  const trimmed = href.trim();
  // Control characters and entities can smuggle "javascript:" past a prefix test.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point here
  if (/[\u0000-\u001f\u007f&\\]/.test(trimmed)) return '#';
  return SAFE_URL.test(trimmed) ? trimmed : '#';
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
  },
  walkTokens(token) {
    if (token.type === 'link' || token.type === 'image') token.href = safeUrl(token.href);
  },
});

export function renderInstructions(markdown: string | undefined): string {
  if (!markdown) return '';
  const html = marked.parse(markdown, { async: false });
  // Links leave the lab page, never replace it inside the LMS frame.
  return html.replace(/<a href="(https?:[^"]*)"/g, '<a target="_blank" rel="noopener noreferrer" href="$1"');
}
