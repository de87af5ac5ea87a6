import { useEffect, useRef, useState } from 'preact/hooks'
import { useT } from '../i18n/context'

type Decode = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null

/**
 * The camera, read a few times a second until a QR code appears: getUserMedia → video →
 * canvas → jsQR (loaded only when the camera is used). Calls `onCode` once with the text.
 */
export function Scanner(props: { onCode(text: string): void; onError(): void }) {
  const t = useT()
  const video = useRef<HTMLVideoElement>(null)
  const [started, setStarted] = useState(false)

  useEffect(() => {
    let stream: MediaStream | null = null
    let timer: ReturnType<typeof setTimeout> | null = null
    let stopped = false
    const canvas = document.createElement('canvas')
    const context = canvas.getContext('2d', { willReadFrequently: true })

    async function start() {
      try {
        const [module, media] = await Promise.all([
          import('jsqr'),
          navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false }),
        ])
        stream = media
        if (stopped) return stop()
        // jsqr is CommonJS with `exports.default`: depending on the interop, one level further down.
        const loaded = (module as unknown as { default: Decode | { default: Decode } }).default
        const decode = typeof loaded === 'function' ? loaded : loaded.default
        const element = video.current!
        element.srcObject = media
        await element.play()
        setStarted(true)
        const scan = () => {
          if (stopped) return
          const width = element.videoWidth
          const height = element.videoHeight
          if (width > 0 && height > 0 && context) {
            canvas.width = width
            canvas.height = height
            context.drawImage(element, 0, 0, width, height)
            const found = decode(context.getImageData(0, 0, width, height).data, width, height)
            if (found?.data) {
              stop()
              props.onCode(found.data)
              return
            }
          }
          timer = setTimeout(scan, 200)
        }
        scan()
      } catch {
        stop()
        if (!stopped) props.onError()
      }
    }

    function stop() {
      if (timer) clearTimeout(timer)
      for (const track of stream?.getTracks() ?? []) track.stop()
    }

    void start()
    return () => {
      stopped = true
      stop()
    }
  }, [])

  return (
    <div class="scanner">
      <video ref={video} class="scanner-video" muted playsInline aria-label={t('add.camera')} />
      <span class="scanner-frame" aria-hidden="true" />
      <p class="hint" role="status">
        {started ? t('add.scanning') : t('common.loading')}
      </p>
    </div>
  )
}
