import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../../shared/store/table-schema.js';

export interface StateProps {
  /** DynamoDB deletion protection; also retains the table when the stack is deleted. */
  deletionProtection: boolean;
  /** `aws-managed`: the aws/dynamodb key; `customer-managed`: a key of this stack with yearly rotation. */
  encryption: 'aws-managed' | 'customer-managed';
}

interface IndexKeys {
  name: string;
  partitionKey: string;
  sortKey?: string;
}

/** The global secondary indexes declared in `TABLE_KEYS` (every entry with a name and a partition key). */
export function declaredIndexes(keys: Record<string, unknown> = TABLE_KEYS): IndexKeys[] {
  return Object.values(keys).filter(
    (value): value is IndexKeys =>
      typeof value === 'object' &&
      value !== null &&
      typeof (value as IndexKeys).name === 'string' &&
      typeof (value as IndexKeys).partitionKey === 'string',
  );
}

/** The broker's single table, mirroring `shared/store/table-schema.ts`. */
export class State extends Construct {
  readonly table: dynamodb.TableV2;
  /** The customer-managed key, when the table uses one. */
  readonly key: kms.IKey | undefined;
  readonly indexNames: string[];

  constructor(scope: Construct, id: string, props: StateProps) {
    super(scope, id);
    const string = dynamodb.AttributeType.STRING;
    const removalPolicy = props.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.key =
      props.encryption === 'customer-managed'
        ? new kms.Key(this, 'TableKey', {
            description: 'Console Launch Broker table encryption',
            enableKeyRotation: true,
            removalPolicy,
          })
        : undefined;
    const indexes = declaredIndexes();
    this.indexNames = indexes.map((index) => index.name);
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: string },
      sortKey: { name: TABLE_KEYS.sortKey, type: string },
      timeToLiveAttribute: TABLE_KEYS.ttl,
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection,
      removalPolicy,
      encryption: this.key
        ? dynamodb.TableEncryptionV2.customerManagedKey(this.key)
        : dynamodb.TableEncryptionV2.awsManagedKey(),
      globalSecondaryIndexes: indexes.map((index) => ({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: string },
        ...(index.sortKey ? { sortKey: { name: index.sortKey, type: string } } : {}),
        projectionType: dynamodb.ProjectionType.ALL,
      })),
    });
  }
}
