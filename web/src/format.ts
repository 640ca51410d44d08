export function money(cents: number, currency: string): string {
  return new Intl.NumberFormat(undefined, { style: "currency", currency: currency.toUpperCase() }).format(cents / 100);
}

/** Wei (a decimal string) as ETH with up to 6 decimals, computed with BigInt: no float rounding. */
export function ether(wei: string): string {
  const value = BigInt(wei);
  const whole = value / 10n ** 18n;
  const fraction = (value % 10n ** 18n).toString().padStart(18, "0").slice(0, 6).replace(/0+$/, "");
  return fraction ? `${whole}.${fraction} ETH` : `${whole} ETH`;
}

export function percent(probability: string): string {
  return `${(Number(probability) * 100).toFixed(1)}%`;
}
