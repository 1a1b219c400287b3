// tfjs in Node for the command line (`npm run lab`, `npm run bench`): WebGPU through the
// optional npm package `webgpu` (Dawn) when it finds an adapter, the wasm backend (XNNPACK,
// with the lab's embedding-gradient kernel) and the cpu backend; the lab's own choice
// among them (self-check and trial step of each, src/worker/handlers.ts).
//
// Node WebGPU on a machine without a GPU: Dawn's Vulkan backend on Debian Chromium's
// SwiftShader (a CPU emulation of a GPU: correct, slow). When VK_ICD_FILENAMES is unset and
// /usr/lib/chromium/vk_swiftshader_icd.json exists, it is used after the system's own
// Vulkan drivers have found no adapter; when the system has no Vulkan loader
// (libvulkan.so.1, Debian's libvulkan1), Chromium's own loader is loaded in its place.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describeAdapter, isBackendName, isSoftwareAdapter, type AdapterDescription } from '../core/backend/policy';
import { registerWasmTrainingKernels } from '../core/backend/wasmKernels';
import { InThreadEngine } from '../worker/engine';
import { createHandlers } from '../worker/handlers';
import type { EngineInfo } from '../worker/protocol';

/** Debian Chromium's SwiftShader Vulkan driver and the Vulkan loader it ships with. */
export const CHROMIUM_SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const CHROMIUM_VULKAN_LOADER = '/usr/lib/chromium/libvulkan.so.1';

export interface NodeWebGPU {
  /** The adapter Dawn grants, or null with the reason in `reason`. */
  adapter: AdapterDescription | null;
  reason?: string;
  /** describeAdapter(adapter), or the reason there is none. */
  text: string;
  /** How the adapter was found: the system's Vulkan drivers, or Chromium's SwiftShader. */
  via: string;
}

let nodeWebGPU: Promise<NodeWebGPU> | null = null;

/** Is a system Vulkan loader there (Dawn dlopens libvulkan.so.1 by name)? */
function systemVulkanLoader(): boolean {
  const dirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64', '/lib'];
  const ld = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  return [...ld, ...dirs].some((d) => existsSync(path.join(d, 'libvulkan.so.1')));
}

/**
 * Loads Chromium's Vulkan loader into the process under its soname, so that Dawn's
 * dlopen("libvulkan.so.1") finds it. process.dlopen rejects the file (it is no Node addon)
 * and closes it again; RTLD_NODELETE (glibc: 0x1000; Node does not export it) keeps it loaded.
 */
function preloadChromiumVulkan(): string | null {
  const RTLD_NODELETE = 0x1000;
  const c = (os.constants.dlopen ?? {}) as Record<string, number>;
  try {
    process.dlopen({ exports: {} } as NodeJS.Module, CHROMIUM_VULKAN_LOADER, (c.RTLD_NOW ?? 2) | (c.RTLD_GLOBAL ?? 256) | RTLD_NODELETE);
  } catch (e) {
    const msg = (e as Error).message;
    if (!/did not self-register/.test(msg)) return msg;
  }
  return null;
}

function adapterDescription(adapter: GPUAdapter): AdapterDescription {
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: Boolean(info?.isFallbackAdapter) || Boolean((adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter),
  };
}

async function setupNodeWebGPU(): Promise<NodeWebGPU> {
  const none = (reason: string, via = ''): NodeWebGPU => ({ adapter: null, reason, text: reason, via });
  const existing = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  let gpu: GPU | null = existing ?? null;
  let via = existing ? 'navigator.gpu' : '';
  let adapter: GPUAdapter | null = null;
  if (!gpu) {
    let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
    try {
      mod = (await import('webgpu')) as unknown as typeof mod;
    } catch (e) {
      return none(`no WebGPU in Node: the optional package webgpu (Dawn) could not be loaded (${(e as Error).message.split('\n')[0]})`);
    }
    Object.assign(globalThis, mod.globals);
    const linux = process.platform === 'linux';
    const hasLoader = !linux || systemVulkanLoader();
    const canSwiftShader = linux && !process.env.VK_ICD_FILENAMES && existsSync(CHROMIUM_SWIFTSHADER_ICD);
    const request = async (g: GPU) => {
      try {
        return await g.requestAdapter({ powerPreference: 'high-performance' });
      } catch {
        return null;
      }
    };
    if (hasLoader) {
      gpu = mod.create([]);
      via = process.env.VK_ICD_FILENAMES ? `Dawn, VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}` : 'Dawn, the system Vulkan drivers';
      adapter = await request(gpu);
    }
    if (!adapter && canSwiftShader) {
      process.env.VK_ICD_FILENAMES = CHROMIUM_SWIFTSHADER_ICD;
      let loaderNote = '';
      if (!hasLoader && existsSync(CHROMIUM_VULKAN_LOADER)) {
        const err = preloadChromiumVulkan();
        if (err) return none(`no WebGPU in Node: Chromium's Vulkan loader could not be loaded (${err})`);
        loaderNote = ", Chromium's Vulkan loader";
      }
      gpu = mod.create([]);
      via = `Dawn, VK_ICD_FILENAMES=${CHROMIUM_SWIFTSHADER_ICD}${loaderNote}`;
      adapter = await request(gpu);
    }
    if (!gpu) {
      return none(
        'no WebGPU in Node: no Vulkan loader (apt-get install libvulkan1) and no Chromium SwiftShader ' +
          `(${CHROMIUM_SWIFTSHADER_ICD}) to fall back to`,
      );
    }
  } else {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  }
  if (!adapter) {
    return none(
      `no WebGPU in Node: Dawn found no adapter (${via}; on a machine without a GPU, Debian's chromium package ` +
        `provides SwiftShader at ${CHROMIUM_SWIFTSHADER_ICD})`,
      via,
    );
  }
  // tfjs-backend-webgpu registers itself on import only when navigator.gpu is there.
  const g = globalThis as unknown as { navigator?: Record<string, unknown> };
  if (g.navigator && !g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  const description = adapterDescription(adapter);
  return { adapter: description, text: describeAdapter(description), via };
}

/**
 * WebGPU for tfjs in Node, once per process: navigator.gpu from the `webgpu` package and
 * tfjs's webgpu backend registered. Resolves with the adapter, or null and the reason.
 */
export function installNodeWebGPU(): Promise<NodeWebGPU> {
  nodeWebGPU ??= setupNodeWebGPU();
  return nodeWebGPU;
}

export interface NodeBackendInfo extends EngineInfo {
  webgpu: NodeWebGPU;
}

/**
 * Sets up the backends and makes the lab's choice (a forced one when it passes its
 * self-check). A software WebGPU adapter is tried only when forced: on these machines it is
 * the CPU emulating a GPU, never faster than wasm, and its trial step alone takes seconds.
 */
export async function setupNodeBackend(forced?: string): Promise<NodeBackendInfo> {
  registerWasmTrainingKernels();
  tf.env().set('PROD', true); // silences tfjs's "install tfjs-node" banner and debug checks
  const webgpu = await installNodeWebGPU();
  const useWebGPU = webgpu.adapter !== null && (forced === 'webgpu' || !isSoftwareAdapter(webgpu.adapter));
  const engine = new InThreadEngine(
    createHandlers({
      host: 'node',
      crossOriginIsolated: false,
      probeAdapter: async () =>
        useWebGPU
          ? { adapter: webgpu.adapter }
          : {
              adapter: null,
              reason: webgpu.adapter
                ? `Node WebGPU has only a software adapter (${webgpu.text}); --backend webgpu uses it anyway`
                : webgpu.text,
            },
    }),
  );
  try {
    const info = await engine.call('init', { forceBackend: isBackendName(forced) ? forced : null });
    return { ...info, webgpu };
  } finally {
    engine.dispose();
  }
}
