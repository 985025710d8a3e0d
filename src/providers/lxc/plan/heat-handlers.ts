/** Resources that are data, not machinery: key pairs, random strings, configs, wait conditions, security groups. */
import { stringify } from 'yaml';
import { intToIp, parseCidr } from '../ipv4.ts';
import { randomString, randomToken, takeRsaKeyPair } from '../keys.ts';
import { list, obj } from '../plan-support.ts';
import type { ResourceHandler } from './handler.ts';
import { isMultipart, mimeParts, multipartMime, type MimeInput } from '../user-data-parts.ts';

export const planKeyPair: ResourceHandler = (state, res, p) => {
  const name = state.text(res, p.name, 'name') ?? `${state.input.stackName}-${res}`;
  let pub = state.text(res, p.public_key, 'public_key');
  let priv: string | null = null;
  if (!pub) {
    const made = state.dry ? { privateKey: 'dry-run', publicKey: 'ssh-rsa AAAA dry-run' } : takeRsaKeyPair(name);
    pub = made.publicKey;
    priv = made.privateKey;
  }
  state.keyPairs.set(res, name);
  state.setId(res, name);
  state.attributes[res] = { public_key: pub, private_key: priv ?? '', name, show: {} };
};

export const planRandomString: ResourceHandler = (state, res, p) => {
  // Heat's limits: 1 to 512 characters.
  const length = state.whole(res, p.length, 'length', 32, 1, 512);
  const classes = list(p.character_classes).map(obj);
  const seqs = list(p.character_sequences).map(obj);
  const sequence = seqs.map((s, i) => state.text(res, s.sequence, `character_sequences[${i}].sequence`) ?? '').join('');
  if (seqs.length && sequence === '') state.fail(res, 'the character sequences give no character to choose from', 'character_sequences');
  const value = randomString(length, state.text(res, classes[0]?.class, 'character_classes[0].class') ?? 'lettersdigits', seqs.length ? sequence : undefined);
  state.setId(res, value);
  state.attributes[res] = { value };
};

export const planCloudConfig: ResourceHandler = (state, res, p) => {
  const config = `#cloud-config\n${stringify(obj(p.cloud_config))}`;
  state.configs.set(res, config);
  state.attributes[res] = { config };
};

/**
 * OS::Heat::MultipartMime: its parts (configs of the template by id, or text; `type: multipart`
 * merges another message's parts) as the MIME message Heat makes, for a server's user_data.
 */
export const planMultipartMime: ResourceHandler = (state, res, p) => {
  const parts: MimeInput[] = [];
  for (const [i, raw] of list(p.parts).entries()) {
    const part = obj(raw);
    const at = `parts[${i}]`;
    const ref = state.text(res, part.config, `${at}.config`) ?? '';
    const configRes = state.byId.get(ref);
    const content = configRes !== undefined && state.configs.has(configRes) ? state.configs.get(configRes)! : ref;
    if ((state.text(res, part.type, `${at}.type`) ?? 'text') === 'multipart') {
      // Heat keeps each inner part's subtype and file name (a part the message cannot be read into is dropped, as there).
      if (isMultipart(content)) parts.push(...mimeParts(content).map((x) => ({ content: x.content, subtype: x.type.replace(/^[^/]*\//, ''), filename: x.filename })));
      continue;
    }
    parts.push({ content, subtype: state.text(res, part.subtype, `${at}.subtype`), filename: state.text(res, part.filename, `${at}.filename`) });
  }
  const config = multipartMime(parts);
  state.configs.set(res, config);
  state.attributes[res] = { config };
};

export const planWaitConditionHandle: ResourceHandler = (state, res) => {
  const token = state.dry ? 'dry-run' : randomToken();
  state.handles.set(res, token);
  const { publicCidr, signalPort } = state.input.settings;
  const endpoint = `http://${intToIp(parseCidr(publicCidr).first)}:${signalPort}/signal/${token}`;
  state.attributes[res] = { token, endpoint, curl_cli: `curl -sS -X POST -H 'Content-Type: application/json' ${endpoint}` };
};

export const planWaitCondition: ResourceHandler = (state, res, p) => {
  const handleRes = state.lookup(state.text(res, p.handle, 'handle'), 'OS::Heat::WaitConditionHandle') ?? state.fail(res, 'handle is not a WaitConditionHandle of this template', 'handle');
  const count = state.whole(res, p.count, 'count', 1, 1, 1000);
  // Heat's limit: 12 hours.
  const timeoutSeconds = state.whole(res, p.timeout, 'timeout', 600, 1, 43200);
  state.waitConditions.push({ resource: res, token: state.handles.get(handleRes)!, count, timeoutSeconds });
  state.attributes[res] = { data: '{}' };
};

export const planNone: ResourceHandler = (state, res) => {
  state.attributes[res] = {};
};
