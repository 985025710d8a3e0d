/**
 * Lab instructions: Markdown from the lab folder rendered with `marked` and sanitised on the way.
 * Raw HTML in the Markdown is shown as text (never interpreted), and links / images keep only http(s),
 * mailto and relative URLs, so an instructions file cannot run script in the learner's page.
 * The page's Content-Security-Policy (no inline script) is the second fence.
 * A relative image (`![topology](images/topology.svg)`) is a file of the lab folder, relative to the
 * instructions file: it is pointed at the lab's files route (lab-files.ts); absolute URLs stay as they are.
 */
import { posix } from 'node:path';
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

/** Where the images of a lab's instructions are served. */
export interface LabFileLinks {
  /** URL path of the lab's files, ending in '/'. */
  base: string;
  /** Path of the instructions file inside the lab folder, which relative images are resolved against. */
  instructionsFile: string;
  /** Appended to each image URL: a hidden lab's access token (`?access=...`), or ''. */
  query: string;
}

/** The files-route URL of a relative image, or undefined for an absolute URL (or a bare fragment). */
export function labImageUrl(href: string, links: LabFileLinks): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('/') || href.startsWith('#')) return undefined;
  // Resolving against a dummy origin normalises "./" and "../" (never above the lab folder) and
  // percent-encodes the path; the query and fragment of the original are not part of a file name.
  const folder = posix.dirname(posix.normalize(`/${links.instructionsFile}`));
  const path = new URL(href, `http://lab.invalid${folder === '/' ? '/' : `${folder}/`}`).pathname.slice(1);
  return path ? links.base + path + links.query : undefined;
}

function markedFor(links: LabFileLinks | undefined): Marked {
  return new Marked({
    gfm: true,
    breaks: false,
    renderer: {
      html({ text }: Tokens.HTML | Tokens.Tag): string {
        return escapeHtml(text);
      },
    },
    walkTokens(token) {
      if (token.type !== 'link' && token.type !== 'image') return;
      token.href = safeUrl(token.href);
      if (token.type === 'image' && links && token.href !== '#') token.href = labImageUrl(token.href, links) ?? token.href;
    },
  });
}

const plain = markedFor(undefined);

export function renderInstructions(markdown: string | undefined, links?: LabFileLinks): string {
  if (!markdown) return '';
  const html = (links ? markedFor(links) : plain).parse(markdown, { async: false });
  // Links leave the lab page, never replace it inside the LMS frame.
  return html.replace(/<a href="(https?:[^"]*)"/g, '<a target="_blank" rel="noopener noreferrer" href="$1"');
}
