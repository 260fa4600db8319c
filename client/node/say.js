// Speak one utterance through the triton-tts service from Node.js, using only client/proto/inference.proto.
//
//   node say.js HOST:PORT "Hello there." out.f32 [VOICE]
//
// Writes the raw little-endian float32 samples to the output file and prints the sample rate and duration
// as JSON. Exits 2 on INVALID_ARGUMENT (bad text or voice), 3 when the service is unavailable, 1 otherwise.
"use strict";

const fs = require("fs");
const path = require("path");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const PROTO = path.join(__dirname, "..", "proto", "inference.proto");

function bytesTensor(text) {
  // Triton's BYTES layout: a 4-byte little-endian length, then the UTF-8 bytes.
  const body = Buffer.from(text, "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length);
  return Buffer.concat([length, body]);
}

function synthesizeRequest(text, voice) {
  const request = { model_name: "tts", inputs: [], raw_input_contents: [] };
  request.inputs.push({ name: "TEXT", datatype: "BYTES", shape: [1, 1] });
  request.raw_input_contents.push(bytesTensor(text));
  if (voice) {
    request.inputs.push({ name: "VOICE", datatype: "BYTES", shape: [1, 1] });
    request.raw_input_contents.push(bytesTensor(voice));
  }
  return request;
}

function main() {
  const [address, text, output, voice] = process.argv.slice(2);
  if (!address || !text || !output) {
    console.error("usage: node say.js HOST:PORT TEXT OUTPUT.f32 [VOICE]");
    process.exit(2);
  }
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, defaults: true });
  const { inference } = grpc.loadPackageDefinition(definition);
  const client = new inference.GRPCInferenceService(address, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
  });
  const deadline = new Date(Date.now() + 60000);
  client.ModelInfer(synthesizeRequest(text, voice), { deadline }, (error, response) => {
    if (error) {
      console.error(`tts: ${grpc.status[error.code]}: ${error.details}`);
      process.exit(error.code === grpc.status.INVALID_ARGUMENT ? 2 : error.code === grpc.status.UNAVAILABLE ? 3 : 1);
    }
    const names = response.outputs.map((o) => o.name);
    const audio = response.raw_output_contents[names.indexOf("AUDIO")];
    const sampleRate = response.raw_output_contents[names.indexOf("SAMPLE_RATE")].readInt32LE(0);
    fs.writeFileSync(output, audio);
    console.log(JSON.stringify({ sample_rate: sampleRate, seconds: audio.length / 4 / sampleRate }));
    client.close();
  });
}

main();
