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
}
