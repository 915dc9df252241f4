import { computed, useAttrs } from 'vue'

// splitAttrs divides a form control component's attributes: class and style style its
// wrapper (layout), everything else (autocomplete, min, placeholder…) goes to the control.
export function splitAttrs() {
  const attrs = useAttrs()
  return {
    root: computed(() => ({ class: attrs.class, style: attrs.style })),
    control: computed(() => {
      const { class: _class, style: _style, ...rest } = attrs
      return rest
    }),
  }
}
