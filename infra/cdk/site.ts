// The site: the static export of web/ (web/out) in a private bucket, served only by CloudFront
// through origin access control, HTTPS only, with security headers; `config.json` beside the
// pages tells the browser where the APIs are, so one build serves every environment.
//
// Caching without invalidations: files under _next/static/ have content hashes in their names
// and are cached for a year; everything else (HTML, config.json) is sent with
// `max-age=0, must-revalidate`, so CloudFront and browsers revalidate it (CloudFront's
// managed CachingOptimized policy keeps such objects for its 1 s minimum).
//
// If web/out does not exist at synth, a one-page placeholder (infra/cdk/site-placeholder) is
// deployed instead, with a warning: `cdk synth` never depends on the web build.
import fs from 'node:fs';
import path from 'node:path';
import { Annotations, Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { lambdaRole, projectRoot } from './functions';

export interface SiteConfig {
  readonly apiUrl: string;
  readonly wsUrl: string;
}

/** CloudFront Function: /path -> /path.html, /path/ -> /path/index.html (Next static export). */
const REWRITE_CODE = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.endsWith('/')) {
    request.uri = uri + 'index.html';
  } else if (uri.lastIndexOf('.') < uri.lastIndexOf('/')) {
    request.uri = uri + '.html';
  }
  return request;
}`;

export class Site extends Construct {
  readonly bucket: Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.bucket = new Bucket(this, 'SiteBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // The same policy as the local gateway's (infra/local/security-headers.ts), with the API hosts.
    const region = Stack.of(this).region;
    const apiHosts = `*.execute-api.${region}.${Aws.URL_SUFFIX}`;
    const contentSecurityPolicy = [
      "default-src 'self'",
      // Next's static export inlines its bootstrap (self.__next_f.push(...)) in every page.
      "script-src 'self' 'unsafe-inline'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "font-src 'self'",
      `connect-src 'self' https://${apiHosts} wss://${apiHosts}`,
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
      'upgrade-insecure-requests',
    ].join('; ');

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SiteResponseHeaders', {
      comment: 'Minute Credits site: CSP, HSTS, nosniff, referrer policy',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        referrerPolicy: {
          referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
          override: true,
        },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=()', override: true },
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
        ],
      },
    });

    const rewrite = new cloudfront.Function(this, 'SitePathRewrite', {
      comment: 'Next static export paths to their .html objects',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(REWRITE_CODE),
    });

    this.distribution = new cloudfront.Distribution(this, 'SiteDistribution', {
      comment: 'Minute Credits site',
      defaultRootObject: 'index.html',
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        // Plain HTTP only ever gets a redirect to HTTPS; HSTS keeps browsers on HTTPS after.
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
        functionAssociations: [{ function: rewrite, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      // The bucket answers 403 for a missing key (no ListBucket): show the export's 404 page.
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 404,
        responsePagePath: '/404.html',
        ttl: Duration.minutes(1),
      })),
    });
  }

  /** https://<distribution domain>: CORS and the WebSocket Origin check admit only this. */
  get origin(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }

  /** Uploads the static export and config.json. */
  deploy(config: SiteConfig, logRetention: RetentionDays): void {
    const exported = path.join(projectRoot, 'web', 'out');
    let dir = exported;
    if (!fs.existsSync(path.join(exported, 'index.html'))) {
      dir = path.join(projectRoot, 'infra', 'cdk', 'site-placeholder');
      Annotations.of(this).addWarningV2(
        'minute-credits:site-not-built',
        'web/out/index.html not found: deploying a placeholder page. Build the site before `cdk deploy`.',
      );
    }
    const logGroup = new LogGroup(this, 'SiteDeploymentLogGroup', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Both deployments share one handler function, hence one role.
    const role = lambdaRole(this, 'SiteDeploymentRole', logGroup);

    const immutable = new BucketDeployment(this, 'SiteStaticAssets', {
      destinationBucket: this.bucket,
      sources: [Source.asset(dir)],
      exclude: ['*'],
      include: ['_next/static/*'],
      // Old hashed assets stay for pages still open in browsers during a deploy.
      prune: false,
      cacheControl: [CacheControl.fromString('public, max-age=31536000, immutable')],
      memoryLimit: 512,
      logGroup,
      role,
    });
    const pages = new BucketDeployment(this, 'SitePages', {
      destinationBucket: this.bucket,
      sources: [Source.asset(dir), Source.jsonData('config.json', { apiUrl: config.apiUrl, wsUrl: config.wsUrl })],
      // Pruning skips excluded keys, so the hashed assets above are never deleted here.
      exclude: ['_next/static/*'],
      prune: true,
      cacheControl: [CacheControl.fromString('public, max-age=0, must-revalidate')],
      memoryLimit: 512,
      logGroup,
      role,
    });
    // New pages go live only once the assets they reference are there.
    pages.node.addDependency(immutable);
  }
}
