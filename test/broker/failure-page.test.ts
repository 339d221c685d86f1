import { describe, expect, it } from 'vitest';
import { failurePage } from '../../functions/lib/launch-response.js';
import {
  ApplianceAuthError,
  ApplianceCredentialsMissingError,
  AppliancePermissionError,
  ApplianceTimeoutError,
  ApplianceTlsError,
  ApplianceUnavailableError,
} from '../../shared/appliances/errors.js';

/** What a person reads when a click's launch failed: advice that fits the failure, and a fallback only to a host we trust. */
const FALLBACK = 'https://appliance.example/api/v1/launchUI/?deviceId=d1';

describe('the failed-click page', () => {
  it('says an operator must act (not "try again in a minute") for a refused password, missing credentials or rights', () => {
    for (const error of [
      new ApplianceAuthError('lab', 'login', 401),
      new ApplianceCredentialsMissingError('lab'),
      new AppliancePermissionError('lab', 'createTicket', 'lacks the console privilege'),
    ]) {
      const answer = failurePage(error, FALLBACK);
      expect(answer.statusCode, error.name).toBe(502);
      expect(answer.body, error.name).toContain('needs an operator');
      expect(answer.body, error.name).not.toContain('in a minute');
      expect(answer.body, error.name).toContain('appliance.example');
    }
  });

  it('offers no link to a host whose certificate failed the check', () => {
    const answer = failurePage(new ApplianceTlsError('lab', 'login', 'TLS verification failed'), FALLBACK);
    expect(answer.statusCode).toBe(502);
    expect(answer.body).toContain('needs an operator');
    expect(answer.body).not.toContain('appliance.example');
  });

  it('keeps "try again in a minute" and the fallback for what passes by itself', () => {
    const down = failurePage(
      new ApplianceUnavailableError('lab', 'createTicket', 'answered HTTP 503'),
      FALLBACK,
    );
    expect(down.statusCode).toBe(502);
    expect(down.body).toContain('in a minute');
    expect(down.body).toContain('appliance.example');
    const slow = failurePage(new ApplianceTimeoutError('lab', 'createTicket', 8000), FALLBACK);
    expect(slow.statusCode).toBe(504);
    // A session the appliance dropped mid-call is retried by the broker; left over, it is not an operator's job.
    expect(failurePage(new ApplianceAuthError('lab', 'createTicket', 401), FALLBACK).body).toContain(
      'in a minute',
    );
  });
});
