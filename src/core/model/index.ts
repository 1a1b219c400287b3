// The models of the lab: config, encoder, retrieval kinds, checkpoints (safetensors, HF).
export * from './config';
export { BertEncoder, attentionBiasData, clsOf, dropout, embeddingLookup, encoderTensorSpecs, gelu, layerNorm, linear } from './encoder';
export type { EncoderInput, EncoderOutput, ForwardOptions, TensorSpec } from './encoder';
export { appliesWeightDecay, initialWeights, modelTensorSpecs, PASSAGE_PREFIX } from './params';
export { RetrievalModel, maxSim } from './retriever';
export type { EncodeOptions, Embeddings, ModelBatch, ModelVariable, ScoreOptions, ScoreOutput } from './retriever';
export { parseSafetensors, tensorToFloat32, writeSafetensors } from './safetensors';
export type { SafetensorsDtype, SafetensorsEntry, SafetensorsFile, TensorToWrite } from './safetensors';
export { exportHuggingFace, importHuggingFace, LAB_CONFIG_KEY } from './hf';
export type { ExportedFiles, HuggingFaceFiles, ImportOptions } from './hf';
export { exportModelFolder, importModelFolder, pickleRefusal, readSentenceTransformers, wordPieceTokenizerJson } from './st';
export type { ExportedFolder, FolderImportInfo, ModelFolder, SentenceTransformersSettings } from './st';
export { checkLayerList, cutStudent, everyOtherLayer, initFromTeacher, spreadLayers, studentConfigFrom, teacherBlockWeights } from './initFrom';
export type { StudentOwnFields } from './initFrom';
