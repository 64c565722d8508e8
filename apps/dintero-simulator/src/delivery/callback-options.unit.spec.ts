import { callbackOptions } from './callback-options';

const options = (query: string) => callbackOptions(new URL(`https://pos.example/callback?${query}`));

describe('callbackOptions', () => {
  it('leaves the defaults when the URL asks for nothing', () => {
    expect(options('payment_id=p1')).toEqual({ sessionParameter: 'session_id', delayMs: 0, includeSession: false });
  });

  it('names the session sid only for sid_parameter_name=sid', () => {
    expect(options('sid_parameter_name=sid').sessionParameter).toBe('sid');
    expect(options('sid_parameter_name=session_id').sessionParameter).toBe('session_id');
    expect(options('sid_parameter_name=other').sessionParameter).toBe('session_id');
  });

  it.each([
    ['delay_callback=5', 5_000],
    ['delay_callback=0.5', 500],
    ['delay_callback=60', 60_000],
    // Dintero's own WooCommerce plugin sends 120: the specification's maximum applies.
    ['delay_callback=120', 60_000],
    ['delay_callback=-3', 0],
    ['delay_callback=soon', 0],
    ['delay_callback=', 0],
  ])('takes %s as a wait of %i ms before the first attempt', (query, delayMs) => {
    expect(options(query).delayMs).toBe(delayMs);
  });

  it('includes the session for includes=session, repeated or in a list', () => {
    expect(options('includes=session').includeSession).toBe(true);
    expect(options('includes=card&includes=session').includeSession).toBe(true);
    expect(options('includes=card,session').includeSession).toBe(true);
    expect(options('includes=sessions').includeSession).toBe(false);
  });
});
