"""The offline speech engine: Moonshine and PocketSphinx recognition (language model building, the
decoders and their worker processes), the hibari voice, the VAD and end-of-turn model sessions, and the
audio helpers they share.

It imports no Pipecat: the Pipecat STT/TTS services in `processors.speech` are thin layers on top.
`speech.models.SpeechModels` owns the loaded models; whoever runs the server makes one and closes it.
"""
