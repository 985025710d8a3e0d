// The parts of guacamole-common-js the RDP view uses (the package ships no types).
declare module 'guacamole-common-js' {
  namespace Guacamole {
    class Status {
      constructor(code: number, message?: string);
      code: number;
      message?: string;
      isError(): boolean;
      static Code: { SUCCESS: number; SERVER_ERROR: number; UPSTREAM_UNAVAILABLE: number };
    }

    class Tunnel {
      connect(data?: string): void;
      disconnect(): void;
      sendMessage(...elements: unknown[]): void;
      setState(state: number): void;
      setUUID(uuid: string): void;
      isConnected(): boolean;
      state: number;
      uuid: string | null;
      onerror: ((status: Status) => void) | null;
      onstatechange: ((state: number) => void) | null;
      oninstruction: ((opcode: string, args: string[]) => void) | null;
      static State: { CONNECTING: number; OPEN: number; CLOSED: number; UNSTABLE: number };
    }

    class Display {
      getElement(): HTMLElement;
      getWidth(): number;
      getHeight(): number;
      getScale(): number;
      scale(scale: number): void;
      showCursor(shown: boolean): void;
      onresize: ((width: number, height: number) => void) | null;
    }

    namespace Mouse {
      class State {
        x: number;
        y: number;
        left: boolean;
        middle: boolean;
        right: boolean;
        up: boolean;
        down: boolean;
      }
    }

    class Mouse {
      constructor(element: Element);
      onEach(types: string[], listener: (event: { state: Mouse.State }) => void): void;
    }

    class Keyboard {
      constructor(element?: Element | Document);
      onkeydown: ((keysym: number) => boolean | void) | null;
      onkeyup: ((keysym: number) => void) | null;
      reset(): void;
    }

    class Client {
      constructor(tunnel: Tunnel);
      connect(data?: string): void;
      disconnect(): void;
      getDisplay(): Display;
      sendSize(width: number, height: number): void;
      sendKeyEvent(pressed: 0 | 1, keysym: number): void;
      sendMouseState(state: Mouse.State, applyDisplayScale?: boolean): void;
      onstatechange: ((state: number) => void) | null;
      onerror: ((status: Status) => void) | null;
      static State: { IDLE: number; CONNECTING: number; WAITING: number; CONNECTED: number; DISCONNECTING: number; DISCONNECTED: number };
    }

    const AudioPlayer: { getSupportedTypes(): string[] };
    const VideoPlayer: { getSupportedTypes(): string[] };
  }
  export default Guacamole;
}
