import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { Route, UploadsResource, type RouteCall } from '@platform/http-api';

@Injectable()
export class UploadsController {
  constructor(@Inject(UploadsResource) private readonly uploads: UploadsResource) {}

  @Route(apiRoutes.createUpload)
  createUpload({ request }: RouteCall<typeof apiRoutes.createUpload>) {
    return this.uploads.create(request);
  }

  @Route(apiRoutes.deleteUpload)
  deleteUpload({ request, input }: RouteCall<typeof apiRoutes.deleteUpload>) {
    return this.uploads.remove(request, input.params.id);
  }
}
