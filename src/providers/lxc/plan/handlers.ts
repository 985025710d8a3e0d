/** The planner's handlers, one per resource type the local runtime builds. */
import type { SUPPORTED_TYPES } from '../plan-support.ts';
import { planSoftwareConfig, planSoftwareDeployment, planSoftwareDeploymentGroup } from './deployment-handlers.ts';
import { planFloatingIp, planFloatingIpAssociation } from './floating-ip-handlers.ts';
import { planResourceGroup } from './group-handler.ts';
import type { ResourceHandler } from './handler.ts';
import {
  planCloudConfig, planKeyPair, planMultipartMime, planNone, planRandomString, planWaitCondition, planWaitConditionHandle,
} from './heat-handlers.ts';
import { planNet, planPort, planSubnet } from './network-handlers.ts';
import { planExtraRoute, planExtraRouteSet, planRouter, planRouterGateway, planRouterInterface } from './router-handlers.ts';
import { planSecurityGroup, planSecurityGroupRule } from './security-group-handlers.ts';
import { planServer } from './server-handler.ts';
import { planVolume, planVolumeAttachment } from './volume-handlers.ts';

/** Typed by SUPPORTED_TYPES, so a type cannot be declared supported without a handler (or the reverse). */
export const HANDLERS: Record<(typeof SUPPORTED_TYPES)[number], ResourceHandler> = {
  'OS::Nova::Server': planServer,
  'OS::Nova::KeyPair': planKeyPair,
  'OS::Neutron::Net': planNet,
  'OS::Neutron::Subnet': planSubnet,
  'OS::Neutron::Port': planPort,
  'OS::Neutron::Router': planRouter,
  'OS::Neutron::RouterInterface': planRouterInterface,
  'OS::Neutron::RouterGateway': planRouterGateway,
  'OS::Neutron::FloatingIP': planFloatingIp,
  'OS::Neutron::FloatingIPAssociation': planFloatingIpAssociation,
  'OS::Neutron::SecurityGroup': planSecurityGroup,
  'OS::Neutron::SecurityGroupRule': planSecurityGroupRule,
  'OS::Neutron::ExtraRoute': planExtraRoute,
  'OS::Neutron::ExtraRouteSet': planExtraRouteSet,
  'OS::Heat::RandomString': planRandomString,
  'OS::Heat::CloudConfig': planCloudConfig,
  'OS::Heat::SoftwareConfig': planSoftwareConfig,
  'OS::Heat::SoftwareDeployment': planSoftwareDeployment,
  'OS::Heat::SoftwareDeploymentGroup': planSoftwareDeploymentGroup,
  // Heat's deprecated name of SoftwareDeploymentGroup, still what many published templates use.
  'OS::Heat::SoftwareDeployments': planSoftwareDeploymentGroup,
  'OS::Heat::WaitCondition': planWaitCondition,
  'OS::Heat::WaitConditionHandle': planWaitConditionHandle,
  'OS::Heat::None': planNone,
  'OS::Heat::MultipartMime': planMultipartMime,
  'OS::Cinder::Volume': planVolume,
  'OS::Cinder::VolumeAttachment': planVolumeAttachment,
  // Its members are planned by this same table (a group of groups too).
  'OS::Heat::ResourceGroup': (state, res, p) => planResourceGroup(state, res, p, HANDLERS),
};
