// Speak one utterance through the triton-tts service from Node.js, using only client/proto/inference.proto.
//
//   node say.js HOST:PORT "Hello there." out.f32 [VOICE] [--stream]
//
// Writes the raw little-endian float32 samples to the output file and prints the sample rate and duration
// as JSON. With --stream it calls `tts_stream` over ModelStreamInfer and appends each chunk to the file as
// it arrives (the JSON adds the chunk count and the time to first audio). Exits 2 on INVALID_ARGUMENT (bad text or voice), 3 when the service is unavailable, 1 otherwise.
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

function synthesizeRequest(text, voice, model = "tts") {
  const request = { model_name: model, inputs: [], raw_input_contents: [], parameters: {} };
  request.inputs.push({ name: "TEXT", datatype: "BYTES", shape: [1, 1] });
  request.raw_input_contents.push(bytesTensor(text));
  if (voice) {
    request.inputs.push({ name: "VOICE", datatype: "BYTES", shape: [1, 1] });
    request.raw_input_contents.push(bytesTensor(voice));
  }
  return request;
}

function fail(code, details) {
  console.error(`tts: ${code}: ${details}`);
  process.exit(code === "INVALID_ARGUMENT" ? 2 : code === "UNAVAILABLE" ? 3 : 1);
}

function stream(client, text, voice, output) {
  // A stream carries errors as text; tts_stream starts each with its gRPC status name.
  const request = synthesizeRequest(text, voice, "tts_stream");
  request.parameters.triton_enable_empty_final_response = { bool_param: true };
  const started = Date.now();
  let chunks = 0, samples = 0, firstAudioMs = null, sampleRate = 0;
  fs.writeFileSync(output, Buffer.alloc(0));
  const call = client.ModelStreamInfer({ deadline: new Date(Date.now() + 60000) });
  call.on("data", (message) => {
    if (message.error_message) {
      const [code, ...rest] = message.error_message.split(": ");
      fail(grpc.status[code] === undefined ? "INTERNAL" : code, rest.join(": ") || message.error_message);
    }
    const response = message.infer_response;
    const final = response.parameters.triton_final_response;
    if (response.outputs.length === 0 && final && final.bool_param) {
      console.log(JSON.stringify({ sample_rate: sampleRate, seconds: samples / sampleRate, chunks, first_audio_ms: firstAudioMs }));
      return; // the server then ends the call ("end" below); never cancel a finished stream: that leaks
      // memory in tritonserver 2.51 (docs/reliability.md)
    }
    const names = response.outputs.map((o) => o.name);
    const audio = response.raw_output_contents[names.indexOf("AUDIO")];
    sampleRate = response.raw_output_contents[names.indexOf("SAMPLE_RATE")].readInt32LE(0);
    if (firstAudioMs === null) firstAudioMs = Date.now() - started;
    fs.appendFileSync(output, audio);
    chunks += 1;
    samples += audio.length / 4;
  });
  call.on("end", () => client.close());
  call.on("error", (error) => fail(grpc.status[error.code], error.details));
  call.write(request);
  call.end(); // half-close at once: Triton ends the call after this request's final response
}

function main() {
  const streaming = process.argv.includes("--stream");
  const [address, text, output, voice] = process.argv.slice(2).filter((a) => a !== "--stream");
  if (!address || !text || !output) {
    console.error("usage: node say.js HOST:PORT TEXT OUTPUT.f32 [VOICE] [--stream]");
    process.exit(2);
  }
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, defaults: true });
  const { inference } = grpc.loadPackageDefinition(definition);
  const client = new inference.GRPCInferenceService(address, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
  });
  if (streaming) {
    stream(client, text, voice, output);
    return;
  }
  const deadline = new Date(Date.now() + 60000);
  client.ModelInfer(synthesizeRequest(text, voice), { deadline }, (error, response) => {
    if (error) fail(grpc.status[error.code], error.details);
    const names = response.outputs.map((o) => o.name);
    const audio = response.raw_output_contents[names.indexOf("AUDIO")];
    const sampleRate = response.raw_output_contents[names.indexOf("SAMPLE_RATE")].readInt32LE(0);
    fs.writeFileSync(output, audio);
    console.log(JSON.stringify({ sample_rate: sampleRate, seconds: audio.length / 4 / sampleRate }));
    client.close();
  });
}

main();
