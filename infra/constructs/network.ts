import { Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { VpcPlacement } from './broker-function.js';

export interface NetworkProps {
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
  /** Route tables of the subnets, for the DynamoDB gateway endpoint. */
  routeTableIds?: string[] | undefined;
  /** Create the DynamoDB gateway endpoint and the Secrets Manager interface endpoint. */
  endpoints: boolean;
}

/**
 * The operator's existing VPC, imported without lookups (synth stays offline), and the endpoints that let the
 * functions in it reach DynamoDB and Secrets Manager without a NAT gateway.
 */
export class Network extends Construct {
  readonly placement: VpcPlacement;
  readonly endpointSecurityGroup: ec2.SecurityGroup | undefined;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: props.vpcId,
      availabilityZones: Fn.getAzs(),
    });
    const subnets = props.subnetIds.map((subnetId, index) =>
      ec2.Subnet.fromSubnetId(this, `Subnet${index}`, subnetId),
    );
    const securityGroups = props.securityGroupIds.map((groupId, index) =>
      ec2.SecurityGroup.fromSecurityGroupId(this, `FunctionSecurityGroup${index}`, groupId, {
        mutable: false,
      }),
    );
    this.placement = { vpc, subnets, securityGroups };

    if (!props.endpoints) {
      this.endpointSecurityGroup = undefined;
      return;
    }
    new ec2.CfnVPCEndpoint(this, 'DynamoDbEndpoint', {
      vpcId: props.vpcId,
      serviceName: `com.amazonaws.${Stack.of(this).region}.dynamodb`,
      vpcEndpointType: 'Gateway',
      routeTableIds: props.routeTableIds ?? [],
    });
    // HTTPS from the functions' security groups only.
    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc,
      description: 'Console Launch Broker: Secrets Manager endpoint, HTTPS from the broker functions',
      allowAllOutbound: false,
    });
    for (const [index, groupId] of props.securityGroupIds.entries()) {
      this.endpointSecurityGroup.addIngressRule(
        ec2.Peer.securityGroupId(groupId),
        ec2.Port.tcp(443),
        `HTTPS from broker function security group ${index}`,
      );
    }
    new ec2.CfnVPCEndpoint(this, 'SecretsManagerEndpoint', {
      vpcId: props.vpcId,
      serviceName: `com.amazonaws.${Stack.of(this).region}.secretsmanager`,
      vpcEndpointType: 'Interface',
      privateDnsEnabled: true,
      subnetIds: props.subnetIds,
      securityGroupIds: [this.endpointSecurityGroup.securityGroupId],
    });
  }
}
