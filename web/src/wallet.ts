// The fan's own wallet through any injected EIP-1193 provider (MetaMask, Rabby, a test provider).

interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

declare global {
  interface Window {
    ethereum?: Eip1193Provider;
  }
}

export function hasWallet(): boolean {
  return window.ethereum !== undefined;
}

function provider(): Eip1193Provider {
  if (!window.ethereum) throw new Error("No wallet found: install or unlock a browser wallet.");
  return window.ethereum;
}

export async function connectWallet(): Promise<string> {
  const accounts = (await provider().request({ method: "eth_requestAccounts" })) as string[];
  if (!accounts[0]) throw new Error("The wallet shared no account.");
  return accounts[0];
}

export async function ensureChain(chainId: number): Promise<void> {
  const current = Number(await provider().request({ method: "eth_chainId" }));
  if (current === chainId) return;
  await provider().request({
    method: "wallet_switchEthereumChain",
    params: [{ chainId: `0x${chainId.toString(16)}` }],
  });
}

export async function signMessage(address: string, message: string): Promise<string> {
  return (await provider().request({ method: "personal_sign", params: [message, address] })) as string;
}

/** Sends a contract call the API prepared; values are decimal wei strings (never JS numbers). */
export async function sendCall(
  from: string,
  call: { to: string; data: string; value_wei: string },
): Promise<string> {
  const value = `0x${BigInt(call.value_wei).toString(16)}`;
  return (await provider().request({
    method: "eth_sendTransaction",
    params: [{ from, to: call.to, data: call.data, value }],
  })) as string;
}
