/** Resources that are data, not machinery: key pairs, random strings, configs, wait conditions, security groups. */
import { stringify } from 'yaml';
import { intToIp, parseCidr } from '../ipv4.ts';
import { randomString, randomToken, takeRsaKeyPair } from '../keys.ts';
import { list, obj, str } from '../plan-support.ts';
import type { ResourceHandler } from './handler.ts';

export const planKeyPair: ResourceHandler = (state, res, p) => {
  const name = str(p.name) ?? `${state.input.stackName}-${res}`;
  let pub = str(p.public_key);
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
  const length = Number(p.length ?? 32);
  const classes = list(p.character_classes).map(obj);
  const seqs = list(p.character_sequences).map(obj);
  const value = randomString(length, str(classes[0]?.class) ?? 'lettersdigits', seqs.length ? seqs.map((s) => String(s.sequence)).join('') : undefined);
  state.setId(res, value);
  state.attributes[res] = { value };
};

export const planCloudConfig: ResourceHandler = (state, res, p) => {
  const config = `#cloud-config\n${stringify(obj(p.cloud_config))}`;
  state.configs.set(res, config);
  state.attributes[res] = { config };
};

export const planSoftwareConfig: ResourceHandler = (state, res, p) => {
  const config = str(p.config) ?? '';
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
  const handleRes = state.lookup(p.handle, 'OS::Heat::WaitConditionHandle') ?? state.fail(res, 'handle is not a WaitConditionHandle of this template', 'handle');
  state.waitConditions.push({ resource: res, token: state.handles.get(handleRes)!, count: Number(p.count ?? 1), timeoutSeconds: Number(p.timeout ?? 600) });
  state.attributes[res] = { data: '{}' };
};

export const planSecurityGroup: ResourceHandler = (state, res, p) => {
  state.notes.push(`security group ${res}: accepted, rules not enforced (each stack is isolated as a whole)`);
  state.attributes[res] = { name: str(p.name) ?? res, rules: p.rules ?? [], show: {} };
};

export const planNone: ResourceHandler = (state, res) => {
  state.attributes[res] = {};
};
