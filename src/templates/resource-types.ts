/**
 * The resource types a stock OpenStack Heat knows (services with a Heat plugin in the releases
 * stacklab targets), and the attributes of the common ones so a misspelt `get_attr` is caught before
 * Heat catches it. A type missing from this list but present on some cloud can be declared in the
 * lab's environment (`resource_registry: {"Vendor::Thing": "Vendor::Thing"}`).
 */

const NAMESPACES: Record<string, string[]> = {
  'OS::Aodh::': ['Alarm', 'CompositeAlarm', 'EventAlarm', 'GnocchiAggregationByMetricsAlarm', 'GnocchiAggregationByResourcesAlarm', 'GnocchiResourcesAlarm', 'LBMemberHealthAlarm'],
  'OS::Barbican::': ['CertificateContainer', 'GenericContainer', 'Order', 'RSAContainer', 'Secret'],
  'OS::Blazar::': ['Host', 'Lease'],
  'OS::Cinder::': ['EncryptedVolumeType', 'QoSAssociation', 'QoSSpecs', 'Quota', 'Volume', 'VolumeAttachment', 'VolumeType'],
  'OS::Designate::': ['Domain', 'Record', 'RecordSet', 'Zone'],
  'OS::Glance::': ['Image', 'WebImage'],
  'OS::Heat::': [
    'AccessPolicy', 'AutoScalingGroup', 'CloudConfig', 'DeployedServer', 'InstanceGroup', 'MultipartMime', 'None',
    'RandomString', 'ResourceChain', 'ResourceGroup', 'ScalingPolicy', 'SoftwareComponent', 'SoftwareConfig',
    'SoftwareDeployment', 'SoftwareDeploymentGroup', 'SoftwareDeployments', 'Stack', 'StructuredConfig',
    'StructuredDeployment', 'StructuredDeploymentGroup', 'StructuredDeployments', 'SwiftSignal', 'SwiftSignalHandle',
    'TestResource', 'UpdateWaitConditionHandle', 'Value', 'WaitCondition', 'WaitConditionHandle', 'Delay',
  ],
  'OS::Ironic::': ['Port'],
  'OS::Keystone::': ['Domain', 'Endpoint', 'Group', 'GroupRoleAssignment', 'Project', 'Region', 'Role', 'Service', 'User', 'UserRoleAssignment'],
  'OS::Magnum::': ['Cluster', 'ClusterTemplate'],
  'OS::Manila::': ['SecurityService', 'Share', 'ShareNetwork', 'ShareType'],
  'OS::Mistral::': ['CronTrigger', 'ExternalResource', 'Workflow'],
  'OS::Monasca::': ['AlarmDefinition', 'Notification'],
  'OS::Neutron::': [
    'AddressScope', 'ExtraRoute', 'ExtraRouteSet', 'Firewall', 'FirewallPolicy', 'FirewallRule', 'FlowClassifier',
    'FloatingIP', 'FloatingIPAssociation', 'FloatingIPPortForward', 'IKEPolicy', 'IPsecPolicy', 'IPsecSiteConnection',
    'L2Gateway', 'L2GatewayConnection', 'LBaaS::HealthMonitor', 'LBaaS::L7Policy', 'LBaaS::L7Rule',
    'LBaaS::Listener', 'LBaaS::LoadBalancer', 'LBaaS::Pool', 'LBaaS::PoolMember', 'MeteringLabel', 'MeteringRule',
    'Net', 'NetworkGateway', 'Port', 'PortPair', 'PortPairGroup', 'ProviderNet', 'QoSBandwidthLimitRule',
    'QoSDscpMarkingRule', 'QoSMinimumBandwidthRule', 'QoSPolicy', 'Quota', 'RBACPolicy', 'Router', 'RouterGateway',
    'RouterInterface', 'SecurityGroup', 'SecurityGroupRule', 'Segment', 'Subnet', 'SubnetPool', 'TaaS::TapFlow',
    'TaaS::TapService', 'Trunk', 'VPNService',
  ],
  'OS::Nova::': ['Flavor', 'FloatingIP', 'FloatingIPAssociation', 'HostAggregate', 'KeyPair', 'Quota', 'Server', 'ServerGroup'],
  'OS::Octavia::': ['Flavor', 'FlavorProfile', 'HealthMonitor', 'L7Policy', 'L7Rule', 'Listener', 'LoadBalancer', 'Pool', 'PoolMember', 'Quota'],
  'OS::Sahara::': ['Cluster', 'ClusterTemplate', 'DataSource', 'ImageRegistry', 'Job', 'JobBinary', 'NodeGroupTemplate'],
  'OS::Senlin::': ['Cluster', 'Node', 'Policy', 'Profile', 'Receiver'],
  'OS::Swift::': ['Container'],
  'OS::Tacker::': ['VNF', 'VNFD'],
  'OS::Trove::': ['Cluster', 'Instance'],
  'OS::Vitrage::': ['Template'],
  'OS::Zaqar::': ['MistralTrigger', 'Queue', 'SignedQueueURL', 'Subscription'],
  'OS::Zun::': ['Container'],
  'AWS::AutoScaling::': ['AutoScalingGroup', 'LaunchConfiguration', 'ScalingPolicy'],
  'AWS::CloudFormation::': ['Stack', 'WaitCondition', 'WaitConditionHandle'],
  'AWS::CloudWatch::': ['Alarm'],
  'AWS::EC2::': [
    'EIP', 'EIPAssociation', 'Instance', 'InternetGateway', 'NetworkInterface', 'RouteTable', 'SecurityGroup', 'Subnet',
    'SubnetRouteTableAssociation', 'VPC', 'VPCGatewayAttachment', 'Volume', 'VolumeAttachment',
  ],
  'AWS::ElasticLoadBalancing::': ['LoadBalancer'],
  'AWS::IAM::': ['AccessKey', 'User'],
  'AWS::RDS::': ['DBInstance'],
  'AWS::S3::': ['Bucket'],
};

export const HEAT_RESOURCE_TYPES: ReadonlySet<string> = new Set(
  Object.entries(NAMESPACES).flatMap(([ns, names]) => names.map((n) => ns + n)),
);

export function isHeatResourceType(type: string): boolean {
  return HEAT_RESOURCE_TYPES.has(type);
}

/** A type that names a nested template (a file or URL) rather than a plugin. */
export function isTemplateResourceType(type: string): boolean {
  return /\.(ya?ml|template|json)$/i.test(type) || /^https?:\/\//.test(type) || type.startsWith('file://');
}

/** Heat's own wording, so an author searching for the message finds Heat's documentation. */
export function unknownTypeMessage(type: string): string {
  const near = closestType(type);
  return `The Resource Type (${type}) could not be found.${near ? ` Did you mean ${near}?` : ''}`;
}

function closestType(type: string): string | undefined {
  return closest(type, HEAT_RESOURCE_TYPES);
}

/** The known name nearest to a misspelt one (for "did you mean"), or undefined when none is close. */
export function closest(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 8));
  for (const candidate of known) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d <= bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

const CONFIG = ['config'];
/** Attributes by type, for the types labs use most; types not listed are not checked. */
const ATTRIBUTES: Record<string, string[]> = {
  'OS::Nova::Server': ['accessIPv4', 'accessIPv6', 'addresses', 'console_urls', 'first_address', 'instance_name', 'name', 'networks', 'os_collect_config', 'tags'],
  'OS::Nova::KeyPair': ['private_key', 'public_key'],
  'OS::Neutron::Net': ['admin_state_up', 'l2_adjacency', 'mtu', 'name', 'port_security_enabled', 'qos_policy_id', 'segments', 'status', 'subnets', 'tenant_id'],
  'OS::Neutron::Subnet': ['allocation_pools', 'cidr', 'dns_nameservers', 'enable_dhcp', 'gateway_ip', 'host_routes', 'ip_version', 'name', 'network_id', 'tenant_id'],
  'OS::Neutron::Port': [
    'admin_state_up', 'allowed_address_pairs', 'device_id', 'device_owner', 'dns_assignment', 'fixed_ips', 'mac_address',
    'name', 'network', 'network_id', 'port_security_enabled', 'qos_policy_id', 'security_groups', 'status', 'subnets', 'tenant_id',
  ],
  'OS::Neutron::Router': ['admin_state_up', 'external_gateway_info', 'name', 'status', 'tenant_id'],
  'OS::Neutron::RouterInterface': [],
  'OS::Neutron::FloatingIP': ['fixed_ip_address', 'floating_ip_address', 'floating_network_id', 'port_id', 'router_id', 'tenant_id'],
  'OS::Neutron::FloatingIPAssociation': [],
  'OS::Neutron::SecurityGroup': [],
  'OS::Heat::RandomString': ['value'],
  'OS::Heat::CloudConfig': CONFIG,
  'OS::Heat::SoftwareConfig': CONFIG,
  'OS::Heat::MultipartMime': CONFIG,
  'OS::Heat::StructuredConfig': CONFIG,
  'OS::Heat::WaitConditionHandle': ['curl_cli', 'endpoint', 'signal', 'token'],
  'OS::Heat::WaitCondition': ['data'],
  'OS::Heat::Value': ['value'],
  'OS::Heat::TestResource': ['output'],
  'OS::Cinder::Volume': [
    'attachments', 'attachments_list', 'availability_zone', 'bootable', 'created_at', 'display_description',
    'display_name', 'encrypted', 'metadata', 'metadata_values', 'multiattach', 'size', 'snapshot_id', 'source_volid',
    'status', 'volume_type',
  ],
};

/** Known attributes of a type (each has `show` too), or undefined when this module does not know them. */
export function attributesOf(type: string): string[] | undefined {
  const list = Object.hasOwn(ATTRIBUTES, type) ? ATTRIBUTES[type] : undefined;
  return list ? [...list, 'show'] : undefined;
}
