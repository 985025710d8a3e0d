/**
 * The emulator's Deep Linking 2.0 side, after xblock-lti-consumer's `LtiDeepLinking` claim and
 * `deep_linking_response_endpoint`: accept_types ltiResourceLink, link, html, image; accept_multiple
 * and auto_create true; the response (form field `JWT`) is verified with the tool's keyset, must be
 * an LtiDeepLinkingResponse, every content item must be of an accepted type and pass its serializer
 * (ltiResourceLink: url <= 500 chars, title <= 255, custom a dict, lineItem fields typed).
 * Stricter than Open edX where the spec asks it: aud = the platform issuer, iss = the client id,
 * deployment id, version 1.3.0, and the opaque `data` echoed back (sent to tie a response to its block).
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendHtml } from './http-util.ts';
import type { Block, OpenEdxEmulator } from './open-edx-emulator.ts';
import { verifyToolJwt } from './tool-keyset.ts';

const LTI = 'https://purl.imsglobal.org/spec/lti/claim/';
const DL = 'https://purl.imsglobal.org/spec/lti-dl/claim/';
export const ACCEPTED_TYPES = ['ltiResourceLink', 'link', 'html', 'image'];

export interface ContentItem {
  type: string;
  url?: string;
  title?: string;
  custom?: Record<string, string>;
  lineItem?: { label?: string; scoreMaximum?: number; resourceId?: string; tag?: string };
  [key: string]: unknown;
}

export interface DeepLinkingOutcome {
  ok: boolean;
  error?: string;
  items?: ContentItem[];
  claims?: Record<string, unknown>;
}

export class DeepLinkingService {
  readonly outcomes: DeepLinkingOutcome[] = [];
  private readonly items = new Map<string, ContentItem[]>();
  private readonly pending = new Map<string, Block>();

  constructor(private readonly emulator: OpenEdxEmulator) {}

  get returnUrl(): string {
    return `${this.emulator.base}/api/lti_consumer/v1/lti/${this.emulator.configPk}/lti-dl/response`;
  }

  settingsClaim(block: Block): Record<string, unknown> {
    const data = randomUUID();
    this.pending.set(data, block);
    return {
      [`${DL}deep_linking_settings`]: {
        accept_types: ACCEPTED_TYPES,
        accept_presentation_document_targets: ['iframe', 'window', 'embed'],
        accept_multiple: true,
        auto_create: true,
        title: '',
        text: '',
        deep_link_return_url: this.returnUrl,
        data,
      },
    };
  }

  itemFor(block: Block): ContentItem | undefined {
    return this.items.get(block.usageKey)?.find((i) => i.type === 'ltiResourceLink');
  }

  async responseEndpoint(form: Record<string, string>, response: ServerResponse): Promise<void> {
    const outcome = await this.check(form.JWT);
    this.outcomes.push(outcome);
    if (!outcome.ok) return sendHtml(response, outcome.error?.startsWith('unsupported') ? 400 : 403, `<p class="error">${outcome.error}</p>`);
    sendHtml(response, 200, '<p id="dl-saved">The LTI Deep Linking content was saved. This window closes itself.</p>');
  }

  private async check(token: string | undefined): Promise<DeepLinkingOutcome> {
    const tool = this.emulator.requireTool();
    if (!token) return { ok: false, error: 'no JWT field' };
    let claims: Record<string, unknown>;
    try {
      claims = await verifyToolJwt(tool.keysetUrl, token, { audience: this.emulator.issuer, issuer: tool.clientId });
    } catch (error) {
      return { ok: false, error: `token refused: ${(error as Error).message}` };
    }
    if (claims[`${LTI}message_type`] !== 'LtiDeepLinkingResponse') return { ok: false, error: "Token isn't a Deep Linking Response message.", claims };
    if (claims[`${LTI}version`] !== '1.3.0') return { ok: false, error: 'version is not 1.3.0', claims };
    if (claims[`${LTI}deployment_id`] !== tool.deploymentId) return { ok: false, error: 'deployment_id does not match', claims };
    const block = this.pending.get(String(claims[`${DL}data`]));
    if (!block) return { ok: false, error: 'data claim was not echoed back', claims };
    const items = (claims[`${DL}content_items`] ?? []) as ContentItem[];
    if (!Array.isArray(items)) return { ok: false, error: 'content_items is not a list', claims };
    for (const item of items) {
      if (!ACCEPTED_TYPES.includes(item.type)) return { ok: false, error: `unsupported content type ${item.type}`, claims };
      const problem = item.type === 'ltiResourceLink' ? resourceLinkProblem(item) : undefined;
      if (problem) return { ok: false, error: `invalid ltiResourceLink: ${problem}`, claims };
    }
    this.pending.delete(String(claims[`${DL}data`]));
    this.items.set(block.usageKey, items);
    const link = items.find((i) => i.type === 'ltiResourceLink');
    if (link?.lineItem && !this.emulator.ags.lineItemOf(block)) {
      this.emulator.ags.declareLineItem(block, { label: link.lineItem.label ?? block.title, scoreMaximum: link.lineItem.scoreMaximum ?? block.weight, resourceId: link.lineItem.resourceId ?? '', tag: link.lineItem.tag ?? '' });
    }
    return { ok: true, items, claims };
  }
}

function resourceLinkProblem(item: ContentItem): string | undefined {
  if (item.url !== undefined && (typeof item.url !== 'string' || item.url.length > 500 || !/^https?:\/\//.test(item.url))) return 'url';
  if (item.title !== undefined && (typeof item.title !== 'string' || item.title.length > 255)) return 'title';
  if (item.custom !== undefined && (typeof item.custom !== 'object' || item.custom === null || Array.isArray(item.custom))) return 'custom';
  const li = item.lineItem;
  if (li !== undefined) {
    if (typeof li !== 'object' || li === null) return 'lineItem';
    if (li.scoreMaximum !== undefined && typeof li.scoreMaximum !== 'number') return 'lineItem.scoreMaximum';
    for (const f of ['label', 'resourceId', 'tag'] as const) if (li[f] !== undefined && (typeof li[f] !== 'string' || li[f].length > 255)) return `lineItem.${f}`;
  }
  return undefined;
}
