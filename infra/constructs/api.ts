import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteSpec } from '../../functions/routes.js';
import { acknowledge } from '../nag.js';

export interface Throttle {
  rateLimit: number;
  burstLimit: number;
}

export interface ApiProps {
  /** The contract's routes (`functions/routes.ts`). */
  routes: RouteSpec[];
  /** The Lambda serving a function name. */
  handlerOf: (name: string) => lambda.IFunction;
  authorizer: lambda.IFunction;
  /** Each API route's own bucket (and the stage default). */
  throttle: Throttle;
  /** Each launch route's own bucket. */
  launchThrottle: Throttle;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  customDomain?: { domainName: string; certificateArn: string } | undefined;
}

/**
 * Access log fields. Deliberately no `$context.path`: on `/launch/{token}` the path holds the link token,
 * a credential; the route key names the route without it.
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  clientId: '$context.authorizer.clientId',
};

/**
 * The HTTP API of the contract: one route per `routeList` entry, the REQUEST authorizer (simple responses,
 * cached 5 minutes per Authorization header) on every route with a scope and on no other, a throttle per route
 * (launch routes and API routes with separate budgets), JSON access logs, and an optional custom domain for stable launch links.
 */
export class Api extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly accessLogs: logs.LogGroup;
  readonly domain: apigw.DomainName | undefined;
  /** Base URL of launch links: `https://<custom domain>` or the API endpoint. */
  readonly publicBaseUrl: string;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'Console Launch Broker',
      createDefaultStage: false,
    });

    if (props.customDomain) {
      this.domain = new apigw.DomainName(this, 'Domain', {
        domainName: props.customDomain.domainName,
        certificate: acm.Certificate.fromCertificateArn(
          this,
          'Certificate',
          props.customDomain.certificateArn,
        ),
        endpointType: apigw.EndpointType.REGIONAL,
        securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      });
    } else {
      this.domain = undefined;
    }

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
      ...(this.domain ? { domainMapping: { domainName: this.domain } } : {}),
    });

    const authorizer = new HttpLambdaAuthorizer('ApiKeyAuthorizer', props.authorizer, {
      authorizerName: 'api-key',
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      resultsCacheTtl: Duration.minutes(5),
    });
    const none = new apigw.HttpNoneAuthorizer();
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    const integrations = new Map<string, HttpLambdaIntegration>();
    for (const route of props.routes) {
      let integration = integrations.get(route.function);
      if (!integration) {
        integration = new HttpLambdaIntegration(
          `${route.function}-integration`,
          props.handlerOf(route.function),
        );
        integrations.set(route.function, integration);
      }
      const [created] = this.httpApi.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration,
        authorizer: route.scope ? authorizer : none,
      });
      const limits = route.path.startsWith('/launch/') ? props.launchThrottle : props.throttle;
      routeSettings[`${route.method} ${route.path}`] = {
        ThrottlingRateLimit: limits.rateLimit,
        ThrottlingBurstLimit: limits.burstLimit,
      };
      // CloudFormation refuses route settings for a route key that does not exist yet.
      if (created) this.stage.node.addDependency(created);
      if (!route.scope && created) {
        acknowledge(
          created,
          'AwsSolutions-APIG4',
          `${route.method} ${route.path} is public by contract: ` +
            (route.path.startsWith('/launch/')
              ? 'the unguessable link token (192 random bits, stored only as a hash) is the credential, and the ' +
                'person clicking an e-mailed link has no API key.'
              : 'liveness and the OpenAPI document expose no data and must answer without an API key.'),
        );
      }
    }

    // The L2 stage sets only the default route settings; each route gets its own bucket here.
    (this.stage.node.defaultChild as apigw.CfnStage).routeSettings = routeSettings;

    this.publicBaseUrl = this.domain ? `https://${props.customDomain?.domainName}` : this.httpApi.apiEndpoint;
  }
}
