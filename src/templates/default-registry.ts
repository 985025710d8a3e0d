/**
 * The resource_registry of Heat's default environment (etc/heat/environment.d/default.yaml in
 * openstack/heat, installed as /etc/heat/environment.d/default.yaml): old names that every Heat
 * maps onto current types, so templates written for them still work. A lab's own environment is
 * applied first and may map these names elsewhere. The two AWS entries that map onto Heat's own
 * provider templates (AWS::CloudWatch::Alarm, AWS::RDS::DBInstance) are left out: those types are
 * known by name already.
 */
export const HEAT_DEFAULT_REGISTRY: Readonly<Record<string, string>> = {
  'OS::Quantum*': 'OS::Neutron*',
  'OS::Metering::Alarm': 'OS::Aodh::Alarm',
  'OS::Ceilometer::Alarm': 'OS::Aodh::Alarm',
  'OS::Ceilometer::GnocchiResourcesAlarm': 'OS::Aodh::GnocchiResourcesAlarm',
  'OS::Ceilometer::GnocchiAggregationByMetricsAlarm': 'OS::Aodh::GnocchiAggregationByMetricsAlarm',
  'OS::Ceilometer::GnocchiAggregationByResourcesAlarm': 'OS::Aodh::GnocchiAggregationByResourcesAlarm',
  'OS::Ceilometer::CombinationAlarm': 'OS::Aodh::CombinationAlarm',
};
