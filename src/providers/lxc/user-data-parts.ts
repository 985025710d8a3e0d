/**
 * user_data as cloud-init reads it, split into parts: a `#cloud-config` document, a `#!` script, or
 * a MIME multipart message (what OS::Heat::MultipartMime makes, or an author writes), whose parts
 * are typed by their Content-Type (`text/cloud-config`, `text/x-shellscript`) or, for `text/plain`,
 * by how they start, as cloud-init does. The message Heat's MultipartMime makes is written here too
 * (`multipartMime`), in the form Python's email package gives it, so the two agree.
 */
import { createHash } from 'node:crypto';

export interface UserDataPart {
  kind: 'cloud-config' | 'script' | 'other';
  content: string;
  /** The part's MIME type, for the log when the part is not applied. */
  type: string;
}

/** A MIME message: a header block that declares a multipart Content-Type. */
export function isMultipart(text: string): boolean {
  return /^content-type:\s*multipart\//im.test(headerBlock(text).join('\n'));
}

export function userDataParts(text: string): UserDataPart[] {
  if (!text.trim()) return [];
  if (!isMultipart(text)) return [typed(text, 'text/plain')];
  return mimeParts(text).flatMap((p) => (/^multipart\//i.test(p.type) ? userDataParts(p.raw) : [typed(p.content, p.type)]));
}

function typed(content: string, type: string): UserDataPart {
  const t = type.toLowerCase();
  if (t === 'text/cloud-config' || (t === 'text/plain' && content.startsWith('#cloud-config'))) return { kind: 'cloud-config', content, type: t };
  if (t === 'text/x-shellscript' || (t === 'text/plain' && content.startsWith('#!'))) return { kind: 'script', content, type: t };
  return { kind: 'other', content, type: t };
}

export interface MimePart {
  type: string;
  content: string;
  filename?: string;
  /** The whole part, headers included (a nested multipart is parsed again from it). */
  raw: string;
}

function headerBlock(text: string): string[] {
  const end = text.search(/\r?\n\r?\n/);
  const block = end < 0 ? text : text.slice(0, end);
  // Folded header lines continue with white space.
  return block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
}

function header(lines: string[], name: string): string | undefined {
  const line = lines.find((l) => l.toLowerCase().startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

function param(value: string | undefined, name: string): string | undefined {
  const m = value?.match(new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i'));
  return m ? (m[1] ?? m[2]) : undefined;
}

export function mimeParts(text: string): MimePart[] {
  const boundary = param(header(headerBlock(text), 'content-type'), 'boundary');
  if (!boundary) return [];
  const delimiter = `--${boundary}`;
  const chunks = text.split(new RegExp(`(?:^|\\r?\\n)${delimiter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const parts: MimePart[] = [];
  // chunks[0] is the preamble; a chunk starting with `--` is the close delimiter (the epilogue after it).
  for (const chunk of chunks.slice(1)) {
    if (chunk.startsWith('--')) break;
    const raw = chunk.replace(/^[ \t]*\r?\n/, '');
    const lines = headerBlock(raw);
    const bodyStart = raw.search(/\r?\n\r?\n/);
    const body = bodyStart < 0 ? '' : raw.slice(bodyStart).replace(/^\r?\n\r?\n/, '');
    const type = (header(lines, 'content-type') ?? 'text/plain').split(';')[0].trim().toLowerCase();
    const encoding = (header(lines, 'content-transfer-encoding') ?? '').toLowerCase();
    const filename = param(header(lines, 'content-disposition'), 'filename');
    parts.push({ type, raw, content: encoding === 'base64' ? Buffer.from(body, 'base64').toString('utf8') : body, ...(filename !== undefined ? { filename } : {}) });
  }
  return parts;
}

export interface MimeInput {
  content: string;
  /** MIME subtype (`cloud-config`, `x-shellscript`); default from the file name, else `plain`, as Heat does. */
  subtype?: string;
  filename?: string;
}

/**
 * The message Heat's MultipartMime makes (`MIMEMultipart(_subparts=...).as_string()` of `MIMEText`
 * parts): us-ascii parts as 7bit, others as base64 UTF-8. The boundary is derived from the content,
 * so planning the same template twice gives the same message.
 */
export function multipartMime(parts: MimeInput[]): string {
  const boundary = `===============${BigInt(`0x${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 15)}`).toString().padStart(19, '0')}==`;
  const out = [`Content-Type: multipart/mixed; boundary="${boundary}"`, 'MIME-Version: 1.0', ''];
  for (const p of parts) {
    // Heat: no subtype but a file name -> the file name without its extension.
    const subtype = p.subtype || (p.filename ? p.filename.replace(/\.[^./]*$/, '') : 'plain');
    const ascii = !/[\u0080-\uffff]/.test(p.content);
    out.push(`--${boundary}`, `Content-Type: text/${subtype}; charset="${ascii ? 'us-ascii' : 'utf-8'}"`, 'MIME-Version: 1.0', `Content-Transfer-Encoding: ${ascii ? '7bit' : 'base64'}`);
    if (p.filename) out.push(`Content-Disposition: attachment; filename="${p.filename}"`);
    out.push('', ascii ? p.content : `${(Buffer.from(p.content, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join('\n')}\n`);
  }
  out.push(`--${boundary}--`, '');
  return out.join('\n');
}
