import { Fn, Stack, Token } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';

export interface EdgeProps {
  httpApi: apigw.HttpApi;
  /** Requests one source address may send in any 5-minute window before WAF blocks it. */
  rateLimitPer5Minutes: number;
  /** An existing CLOUDFRONT-scope web ACL (created in us-east-1); by default this stack creates one. */
  webAclArn?: string | undefined;
}

/** CLOUDFRONT-scope web ACLs exist only in us-east-1. */
export const WAF_REGION = 'us-east-1';

/**
 * CloudFront in front of the HTTP API with an AWS WAF rate-based rule per source address. HTTP APIs cannot
 * carry a web ACL themselves, so per-address limits live here, before any request reaches API Gateway's
 * shared throttle. Nothing is cached: every answer is per request (tickets, `no-store`).
 */
export class Edge extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly webAclArn: string;
  /** `https://<distribution domain>`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: EdgeProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    if (!props.webAclArn && !Token.isUnresolved(region) && region !== WAF_REGION) {
      throw new Error(
        `edge.waf: a CloudFront web ACL can only be created in ${WAF_REGION}, and this stack is in ${region}; ` +
          'create one there and set edge.webAclArn',
      );
    }
    this.webAclArn = props.webAclArn ?? this.createWebAcl(props.rateLimitPer5Minutes).attrArn;

    // `https://abc.execute-api.eu-west-1.amazonaws.com` → its host name.
    const apiHost = Fn.select(2, Fn.split('/', props.httpApi.apiEndpoint));
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Console Launch Broker',
      webAclId: this.webAclArn,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: new origins.HttpOrigin(apiHost, {
          protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        // API Gateway routes by its own Host name: forward everything else (Authorization, query, body).
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'Technicians open consoles from wherever they work; the broker restricts who may open what by link ' +
        'token and API key, not by country.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR3',
      "Every request that passes reaches API Gateway, whose access log records it; WAF's metrics and sampled " +
        'requests record the blocked ones. A CloudFront log bucket would add a second copy of the same lines.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR4',
      'The viewer policy is TLSv1.2_2021, but on the default *.cloudfront.net certificate CloudFront reports ' +
        'TLSv1 in the template; a custom domain with its own certificate (publicBaseUrl) removes the finding.',
    );
  }

  private createWebAcl(limit: number): wafv2.CfnWebACL {
    return new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        sampledRequestsEnabled: true,
        metricName: 'ConsoleLaunchBrokerEdge',
      },
      rules: [
        {
          name: 'per-source-address',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            sampledRequestsEnabled: true,
            metricName: 'PerSourceAddress',
          },
        },
      ],
    });
  }
}
