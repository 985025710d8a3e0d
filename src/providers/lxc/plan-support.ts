/** Vocabulary of the plan builder: the types it knows, its error, and small value helpers. */
import { createHash } from 'node:crypto';
import type { Problem } from './evaluation.ts';

export const SUPPORTED_TYPES = [
  'OS::Nova::Server', 'OS::Nova::KeyPair', 'OS::Neutron::Net', 'OS::Neutron::Subnet', 'OS::Neutron::Port',
  'OS::Neutron::Router', 'OS::Neutron::RouterInterface', 'OS::Neutron::RouterGateway', 'OS::Neutron::FloatingIP',
  'OS::Neutron::FloatingIPAssociation', 'OS::Neutron::SecurityGroup', 'OS::Neutron::SecurityGroupRule', 'OS::Neutron::ExtraRoute', 'OS::Neutron::ExtraRouteSet',
  'OS::Heat::RandomString', 'OS::Heat::CloudConfig', 'OS::Heat::SoftwareConfig', 'OS::Heat::WaitCondition',
  'OS::Heat::WaitConditionHandle', 'OS::Heat::None', 'OS::Heat::ResourceGroup',
  'OS::Heat::MultipartMime', 'OS::Cinder::Volume', 'OS::Cinder::VolumeAttachment',
  'OS::Heat::SoftwareDeployment', 'OS::Heat::SoftwareDeploymentGroup', 'OS::Heat::SoftwareDeployments',
] as const;

export class PlanError extends Error {
  constructor(readonly problems: Problem[], options?: { cause?: unknown }) {
    super(problems.map((p) => `${p.resource ? `${p.resource}: ` : ''}${p.message}`).join('; '), options);
    this.name = 'PlanError';
  }
}

export type Props = Record<string, unknown>;
export const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
export const obj = (v: unknown): Props => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Props) : {});

export function uuidFor(stackId: string, resource: string): string {
  const h = createHash('sha256').update(`${stackId}/${resource}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
