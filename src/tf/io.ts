// Saving and loading tfjs layers models as a folder: model.json (tfjs "layers-model" format, the same
// layout tfjs-node's file:// handler writes, so `tf.loadLayersModel("file://dir/model.json")` reads it too)
// + weights.bin. The folder is written beside the target and swapped in, so a crash never leaves a
// half-written model.
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import * as tf from "@tensorflow/tfjs";
import { assertFolderVerifies, writeFolderChecksums } from "../util/checksums";

export const MODEL_JSON = "model.json";
export const WEIGHTS_BIN = "weights.bin";

interface ModelJson {
  modelTopology?: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  trainingConfig?: tf.io.TrainingConfig;
  userDefinedMetadata?: Record<string, unknown>;
}

function joinWeightData(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (data == null) return new ArrayBuffer(0);
  return tf.io.CompositeArrayBuffer.join(data);
}

function writeFileSynced(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, "w");
  try {
    fs.writeSync(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** An IOHandler that writes `dir/model.json` + `dir/weights.bin`, swapping the whole folder in at the end. */
export function folderSaveHandler(dir: string, metadata?: Record<string, unknown>): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error("saveModel: graph models (binary topology) are not supported; save a tf.LayersModel");
      }
      const target = path.resolve(dir);
      const parent = path.dirname(target);
      fs.mkdirSync(parent, { recursive: true });
      const tmp = path.join(parent, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
      fs.mkdirSync(tmp);
      try {
        const weights = new Uint8Array(joinWeightData(artifacts.weightData));
        const json: ModelJson = {
          modelTopology: artifacts.modelTopology,
          format: "layers-model",
          generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
          convertedBy: artifacts.convertedBy ?? null,
          weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
        };
        if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
        const userMeta = { ...(artifacts.userDefinedMetadata ?? {}), ...(metadata ?? {}) };
        if (Object.keys(userMeta).length > 0) json.userDefinedMetadata = userMeta;
        writeFileSynced(path.join(tmp, WEIGHTS_BIN), weights);
        writeFileSynced(path.join(tmp, MODEL_JSON), JSON.stringify(json));
        writeFolderChecksums(tmp); // sizes + CRC32s, checked by loadModel
        // Swap: old folder aside, new one in, old one removed.
        let old: string | null = null;
        if (fs.existsSync(target)) {
          old = `${tmp}.old`;
          fs.renameSync(target, old);
        }
        fs.renameSync(tmp, target);
        if (old) fs.rmSync(old, { recursive: true, force: true });
        return {
          modelArtifactsInfo: {
            dateSaved: new Date(),
            modelTopologyType: "JSON",
            modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
            weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
            weightDataBytes: weights.byteLength,
          },
        };
      } catch (err) {
        fs.rmSync(tmp, { recursive: true, force: true });
        throw err;
      }
    },
  };
}

function readModelJson(dir: string): { file: string; json: ModelJson } {
  const file = path.join(path.resolve(dir), MODEL_JSON);
  if (!fs.existsSync(file)) throw new Error(`loadModel: ${file} does not exist`);
  let json: ModelJson;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8")) as ModelJson;
  } catch (err) {
    throw new Error(`loadModel: ${file} is not valid JSON (${(err as Error).message})`);
  }
  if (json == null || typeof json !== "object" || Array.isArray(json)) {
    throw new Error(`loadModel: ${file} is not a tfjs model.json (expected an object)`);
  }
  if (json.format != null && json.format !== "layers-model") {
    throw new Error(`loadModel: ${file} has format '${json.format}'; only tfjs 'layers-model' files are supported`);
  }
  if (json.modelTopology == null || typeof json.modelTopology !== "object") {
    throw new Error(`loadModel: ${file} has no modelTopology: not a tfjs layers model`);
  }
  if (!Array.isArray(json.weightsManifest)) {
    throw new Error(`loadModel: ${file} has no weightsManifest: not a tfjs layers model`);
  }
  return { file, json };
}

/** Read the weight groups of a model folder into one buffer, checking sizes against the manifest. */
function readWeightBuffer(dir: string, file: string, json: ModelJson): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Buffer[] = [];
  for (const group of json.weightsManifest ?? []) {
    if (!Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new Error(`loadModel: ${file}: a weightsManifest entry lacks paths or weights`);
    }
    specs.push(...group.weights);
    for (const p of group.paths) {
      const wfile = path.join(path.resolve(dir), p);
      if (!fs.existsSync(wfile)) throw new Error(`loadModel: weights file ${wfile} (named in ${file}) does not exist`);
      parts.push(fs.readFileSync(wfile));
    }
  }
  const data = Buffer.concat(parts);
  let expected = 0;
  for (const s of specs) {
    const bytesPer = s.dtype === "int32" || s.dtype === "float32" ? 4 : s.dtype === "bool" ? 1 : NaN;
    if (s.quantization) expected = NaN;
    expected += s.shape.reduce((a, b) => a * b, 1) * bytesPer;
  }
  if (Number.isFinite(expected) && expected !== data.byteLength) {
    throw new Error(`loadModel: ${dir}: weights hold ${data.byteLength} bytes but ${file} describes ${expected}`);
  }
  return { specs, data: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer };
}

/** An IOHandler that reads a folder written by saveModel (or by tfjs-node's file:// handler). */
export function folderLoadHandler(dir: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const { file, json } = readModelJson(dir);
      const { specs, data } = readWeightBuffer(dir, file, json);
      return {
        modelTopology: json.modelTopology as tf.io.ModelArtifacts["modelTopology"],
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? undefined,
        trainingConfig: json.trainingConfig,
        userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts["userDefinedMetadata"],
        weightSpecs: specs,
        weightData: data,
      };
    },
  };
}

/** Save a layers model to `dir` (model.json + weights.bin), atomically. `metadata` goes to userDefinedMetadata. */
export async function saveModel(model: tf.LayersModel, dir: string, metadata?: Record<string, unknown>): Promise<void> {
  await model.save(folderSaveHandler(dir, metadata));
}

/** Load a layers model saved by saveModel (or tfjs-node). Errors name the file and what is wrong. */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  assertFolderVerifies(path.resolve(dir), "the saved model is damaged (retrain, or use another run's)");
  try {
    return await tf.loadLayersModel(folderLoadHandler(dir));
  } catch (err) {
    const msg = (err as Error).message;
    if (msg.startsWith("loadModel:")) throw err;
    throw new Error(`loadModel: ${path.join(path.resolve(dir), MODEL_JSON)} could not be turned into a model: ${msg}`);
  }
}

/** The userDefinedMetadata of a saved model (without loading weights). */
export function readModelMetadata(dir: string): Record<string, unknown> {
  return readModelJson(dir).json.userDefinedMetadata ?? {};
}

/** Decode a model folder's weights by name (for partial loading, e.g. pretrained backbones). Caller disposes. */
export function readWeightsFromDir(dir: string): tf.NamedTensorMap {
  assertFolderVerifies(path.resolve(dir), "the saved model is damaged");
  const { file, json } = readModelJson(dir);
  const { specs, data } = readWeightBuffer(dir, file, json);
  return tf.io.decodeWeights(data, specs);
}
